"""Prompt templates: YAML files in ``prompts/`` with declared variables.

Each file has ``name``, ``description``, ``variables`` (the declared list),
``system`` and ``user``; the two templates use LangChain's f-string format
(``{var}``, literal braces doubled). A prompt is loaded once per process and
checked on load: the variables its templates use must equal the declared list.

Convention for code that formats a prompt (tests/test_prompts.py relies on it):
the calling module defines ``PROMPT_VARS: dict[str, frozenset[str]]`` mapping
each prompt name it loads to the variables it passes, and builds the values
from that constant. :meth:`PromptSpec.format_messages` refuses any other set.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, cached_property
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from langchain_core.messages import BaseMessage
from langchain_core.prompts import ChatPromptTemplate

from core.errors import ConfigError, InputError

_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_FIELDS = ("name", "description", "variables", "system", "user")


@dataclass(frozen=True)
class PromptSpec:
    """One parsed prompt file."""

    name: str
    description: str
    variables: tuple[str, ...]
    system: str
    user: str
    path: str = ""

    @cached_property
    def _chat_prompt(self) -> ChatPromptTemplate:
        return ChatPromptTemplate.from_messages(
            [("system", self.system), ("human", self.user)], template_format="f-string"
        )

    def to_chat_prompt(self) -> ChatPromptTemplate:
        """The LangChain chat prompt (system + human message)."""
        return self._chat_prompt

    @property
    def template_variables(self) -> frozenset[str]:
        """The variables the templates actually use."""
        return frozenset(self._chat_prompt.input_variables)

    def format_messages(self, **values: Any) -> list[BaseMessage]:
        """Render the messages; the passed variables must equal the declared ones.

        Raises :class:`InputError` naming the missing or unexpected variables.
        """
        passed = set(values)
        declared = set(self.variables)
        if passed != declared:
            missing = ", ".join(sorted(declared - passed)) or "none"
            extra = ", ".join(sorted(passed - declared)) or "none"
            raise InputError(
                f"Prompt '{self.name}' got the wrong variables (missing: {missing}; unexpected: {extra}).",
                hint=f"Pass exactly: {', '.join(self.variables)}.",
            )
        return self._chat_prompt.format_messages(**values)


def prompts_dir() -> Path:
    """The folder holding the prompt YAML files (package data of ``prompts``)."""
    return Path(str(resources.files("prompts")))


def available_prompts() -> list[str]:
    """Names of every prompt file shipped in ``prompts/``."""
    return sorted(p.stem for p in prompts_dir().glob("*.yaml"))


def parse_prompt(text: str, *, path: str = "<string>") -> PromptSpec:
    """Parse and check one prompt file's text. Raises :class:`ConfigError` when it is malformed."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"Prompt file {path} is not valid YAML: {exc}.", hint="Fix the file.") from None
    if not isinstance(data, dict):
        raise ConfigError(
            f"Prompt file {path} must be a YAML mapping.", hint=f"Give it {', '.join(_FIELDS)}."
        )
    missing = [f for f in _FIELDS if f not in data]
    if missing:
        raise ConfigError(f"Prompt file {path} lacks {', '.join(missing)}.", hint="Add the missing fields.")
    variables = data["variables"]
    if not isinstance(variables, list) or not all(isinstance(v, str) for v in variables):
        raise ConfigError(f"Prompt file {path}: 'variables' must be a list of names.", hint="Fix the list.")
    for field in ("name", "description", "system", "user"):
        if not isinstance(data[field], str):
            raise ConfigError(f"Prompt file {path}: '{field}' must be text.", hint="Fix the field.")
    spec = PromptSpec(
        name=data["name"],
        description=data["description"].strip(),
        variables=tuple(variables),
        system=data["system"],
        user=data["user"],
        path=path,
    )
    try:
        used = spec.template_variables
    except Exception as exc:  # unbalanced braces and the like
        raise ConfigError(
            f"Prompt file {path} has a broken template: {exc}.", hint="Double literal braces: {{ }}."
        ) from None
    if used != set(spec.variables):
        raise ConfigError(
            f"Prompt file {path} declares {sorted(spec.variables)} but its templates use {sorted(used)}.",
            hint="Make 'variables' list exactly the {names} the templates use.",
        )
    if len(set(spec.variables)) != len(spec.variables):
        raise ConfigError(f"Prompt file {path} declares a variable twice.", hint="Remove the duplicate.")
    return spec


@cache
def load_prompt(name: str) -> PromptSpec:
    """Load ``prompts/<name>.yaml`` (cached per process).

    Raises :class:`ConfigError` when the file is missing or malformed.
    """
    if not _NAME.match(name):
        raise ConfigError(f"Invalid prompt name {name!r}.", hint="Use the file name without .yaml.")
    path = prompts_dir() / f"{name}.yaml"
    if not path.is_file():
        raise ConfigError(
            f"Prompt '{name}' not found in {prompts_dir()}.",
            hint=f"Available: {', '.join(available_prompts()) or 'none'}.",
        )
    spec = parse_prompt(path.read_text(encoding="utf-8"), path=str(path))
    if spec.name != name:
        raise ConfigError(
            f"Prompt file {path} is named '{spec.name}' inside.", hint=f"Set name: {name} in the file."
        )
    return spec

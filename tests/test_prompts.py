"""Every prompt file parses, declares exactly the variables its templates use, and the code
that formats it passes exactly those variables."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

import bot
from bot.prompting import PromptSpec, available_prompts, load_prompt, parse_prompt, prompts_dir
from core.errors import ConfigError, InputError
from core.types import Passage

BOT_DIR = Path(bot.__file__).resolve().parent
_LITERAL_LOAD = re.compile(r"load_prompt\(\s*[\"']([a-z0-9_-]+)[\"']")


def _prompt_users() -> dict[str, tuple[object, set[str]]]:
    """Modules under bot/ that load prompts → (module, prompt names loaded by literal name)."""
    users: dict[str, tuple[object, set[str]]] = {}
    for path in sorted(BOT_DIR.rglob("*.py")):
        if path.name == "prompting.py":
            continue
        source = path.read_text(encoding="utf-8")
        if "load_prompt" not in source:
            continue
        name = "bot." + ".".join(path.relative_to(BOT_DIR).with_suffix("").parts)
        users[name] = (importlib.import_module(name), set(_LITERAL_LOAD.findall(source)))
    return users


def test_prompt_folder_holds_the_answer_and_condense_prompts() -> None:
    names = available_prompts()
    assert {"answer", "condense"} <= set(names)
    assert prompts_dir().is_dir()


@pytest.mark.parametrize("name", available_prompts())
def test_every_prompt_parses_and_its_templates_use_exactly_the_declared_variables(name: str) -> None:
    spec = load_prompt(name)
    assert spec.name == name
    assert spec.description
    assert spec.template_variables == set(spec.variables)
    placeholder = {v: f"<{v}-value>" for v in spec.variables}
    text = "\n".join(str(m.content) for m in spec.format_messages(**placeholder))
    for value in placeholder.values():
        assert value in text


def test_every_prompt_is_formatted_by_code_that_declares_the_variables_it_passes() -> None:
    users = _prompt_users()
    declared_by_code: dict[str, frozenset[str]] = {}
    for module_name, (module, literal_names) in users.items():
        prompt_vars = getattr(module, "PROMPT_VARS", None)
        assert isinstance(prompt_vars, dict), f"{module_name} loads prompts but defines no PROMPT_VARS"
        missing = literal_names - set(prompt_vars)
        assert not missing, f"{module_name} loads {sorted(missing)} without declaring them in PROMPT_VARS"
        for prompt, variables in prompt_vars.items():
            assert prompt not in declared_by_code, f"prompt {prompt} is declared by two modules"
            declared_by_code[prompt] = frozenset(variables)
    assert set(declared_by_code) == set(available_prompts()), (
        "a prompt file has no caller, or a caller no file"
    )
    for prompt, variables in declared_by_code.items():
        assert variables == set(load_prompt(prompt).variables), prompt


def test_answer_and_condense_code_builds_exactly_the_declared_variables() -> None:
    from bot import followup, llm_answer

    passages = [Passage("c1", "APT1 is PLA Unit 61398.", "apt1.md", title="APT1")]
    answer_values = llm_answer.answer_prompt_values("Who is APT1?", passages)
    assert set(answer_values) == llm_answer.PROMPT_VARS["answer"] == set(load_prompt("answer").variables)
    condense_values = followup.condense_prompt_values(
        "And its targets?", [("Who is APT1?", "PLA Unit 61398 [1].")]
    )
    assert set(condense_values) == followup.PROMPT_VARS["condense"] == set(load_prompt("condense").variables)


def test_format_messages_rejects_missing_and_unexpected_variables() -> None:
    spec = load_prompt("condense")
    with pytest.raises(InputError, match="missing: history"):
        spec.format_messages(question="q")
    with pytest.raises(InputError, match="unexpected: extra"):
        spec.format_messages(question="q", history="h", extra="x")


def test_values_with_braces_are_inserted_literally() -> None:
    spec = load_prompt("condense")
    messages = spec.format_messages(question="What is {history}?", history="User: {x} }{")
    text = "\n".join(str(m.content) for m in messages)
    assert "What is {history}?" in text and "User: {x} }{" in text


def test_chat_prompt_has_system_and_human_messages() -> None:
    prompt = load_prompt("answer").to_chat_prompt()
    messages = prompt.format_messages(question="q", passages="p", refusal="r")
    assert [m.type for m in messages] == ["system", "human"]


def _yaml(variables: str, user: str) -> str:
    return f"name: t\ndescription: d\nvariables: {variables}\nsystem: s\nuser: '{user}'\n"


def test_parse_prompt_rejects_a_template_variable_that_is_not_declared() -> None:
    with pytest.raises(ConfigError, match="declares"):
        parse_prompt(_yaml("[a]", "{a} {b}"))


def test_parse_prompt_rejects_a_declared_variable_the_templates_do_not_use() -> None:
    with pytest.raises(ConfigError, match="declares"):
        parse_prompt(_yaml("[a, b]", "{a}"))


def test_parse_prompt_rejects_broken_yaml_missing_fields_and_unbalanced_braces() -> None:
    with pytest.raises(ConfigError, match="not valid YAML"):
        parse_prompt("name: [unclosed")
    with pytest.raises(ConfigError, match="lacks"):
        parse_prompt("name: t\nsystem: s\n")
    with pytest.raises(ConfigError):
        parse_prompt(_yaml("[a]", "{a} {"))


def test_parse_prompt_accepts_doubled_literal_braces() -> None:
    spec: PromptSpec = parse_prompt(_yaml("[a]", "{a} {{literal}}"))
    assert "{literal}" in str(spec.format_messages(a="x")[1].content)


def test_load_prompt_names_unknown_and_unsafe_names() -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_prompt("no_such_prompt")
    with pytest.raises(ConfigError, match="Invalid prompt name"):
        load_prompt("../answer")

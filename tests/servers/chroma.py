"""A real Chroma server for tests: ``chroma run --path TMP --host 127.0.0.1 --port FREE``.

Started from the venv's ``chroma`` command (it ships with chromadb), polled on
``/api/v2/heartbeat`` until it answers, and stopped (terminate, then kill) at the
end. Use :func:`chroma_server` as a context manager inside a session fixture.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.servers._process import stop, wait_until_ready

CHROMA = Path(sys.executable).with_name("chroma")


@dataclass(frozen=True)
class ChromaServer:
    """Where a running test server listens, its data folder and its process."""

    host: str
    port: int
    path: Path
    process: subprocess.Popen[bytes]

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def heartbeat(url: str, timeout: float = 1.0) -> bool:
    """True when the Chroma server at ``url`` answers its heartbeat."""
    try:
        with urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=timeout) as resp:
            return bool(resp.status == 200)
    except OSError:
        return False


@contextmanager
def chroma_server(path: Path, *, startup_timeout: float = 60.0) -> Iterator[ChromaServer]:
    """Run ``chroma run`` on a free port of 127.0.0.1 with its data in ``path``."""
    if not CHROMA.is_file():
        raise RuntimeError(f"{CHROMA} not found: is chromadb installed in this venv?")
    path.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log = (path.parent / f"chroma-{port}.log").open("wb")
    process = subprocess.Popen(
        [str(CHROMA), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    server = ChromaServer("127.0.0.1", port, path, process)
    try:
        wait_until_ready(
            process, lambda: heartbeat(server.url), name="chroma run", log=log.name, timeout=startup_timeout
        )
        yield server
    finally:
        stop(process)
        log.close()

"""Start-and-wait and stop helpers shared by the test servers (chroma run, llama.cpp)."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable


def wait_until_ready(
    process: subprocess.Popen[bytes],
    ready: Callable[[], bool],
    *,
    name: str,
    log: object,
    timeout: float,
    poll: float = 0.2,
) -> None:
    """Poll ``ready()`` until it is true; raise if the process exits or ``timeout`` passes."""
    deadline = time.monotonic() + timeout
    while not ready():
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited with {process.returncode}; see {log}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{name} did not answer within {timeout:.0f} s; see {log}")
        time.sleep(poll)


def stop(process: subprocess.Popen[bytes], *, timeout: float = 10) -> None:
    """Terminate, then kill if it does not exit in ``timeout`` seconds."""
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=timeout)

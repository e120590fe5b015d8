"""Starting and stopping the processes of a benchmark on 127.0.0.1 (bench/gateway.py and
bench/soak.py): free ports, children in the project directory, gunicorn as the Procfile runs
it, waiting for a health URL, and stopping without leaving anything behind."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
#: The Procfile's gunicorn worker class (reads a request whole before a thread takes it).
PROCFILE_WORKER = "adapters.buffered_worker.BufferedThreadWorker"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_http(url: str, seconds: float = 30.0) -> None:
    """Wait until `url` answers below 500; RuntimeError after `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1.0).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


def spawn(args: list[str], env: dict[str, str], **kwargs) -> subprocess.Popen:
    """A child process in the project directory, with `env` added to ours."""
    return subprocess.Popen(args, env={**os.environ, **env}, cwd=ROOT, **kwargs)


def gunicorn(
    app: str,
    port: int,
    threads: int,
    env: dict[str, str],
    processes: int = 2,
    worker_class: str = PROCFILE_WORKER,
    **kwargs,
) -> subprocess.Popen:
    """gunicorn serving `app` on 127.0.0.1:`port`; `kwargs` go to Popen (e.g. stdout)."""
    binary = str(Path(sys.executable).parent / "gunicorn")
    args = [binary, "--pythonpath", str(ROOT), "-k", worker_class, "-w", str(processes)]
    args += ["--threads", str(threads), "-b", f"127.0.0.1:{port}", "--log-level", "warning"]
    return spawn(args + ["--graceful-timeout", "3", app], env, **kwargs)


def stop(process: subprocess.Popen | None) -> None:
    """Close its stdin, SIGTERM it, and SIGKILL it if it has not ended within 10 s."""
    if process is not None and process.poll() is None:
        if process.stdin is not None:
            process.stdin.close()
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()

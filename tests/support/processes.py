"""Running the bot's real commands in tests: the Procfile's lines, `kuaidi-bot run`, gunicorn.

Each process runs in an empty directory of its own (`RUN_DIR`), so a developer's `.env`
cannot add platforms, and is configured from its environment only.
"""

from __future__ import annotations

import os
import shlex
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]


def procfile() -> dict[str, str]:
    """Process type → command, as in the Procfile."""
    lines = (ROOT / "Procfile").read_text(encoding="utf-8").splitlines()
    return dict(line.split(": ", 1) for line in lines if line.strip())


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def process_env(run_dir: Path) -> dict[str, str]:
    """This environment, with the venv's commands on PATH, the repository importable, the
    empty `run_dir` to start in and a free `PORT`."""
    return {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "PYTHONPATH": str(ROOT),
        "RUN_DIR": str(run_dir),
        "PORT": str(free_port()),
    }


def start(command: str, env: dict[str, str]) -> subprocess.Popen:
    """Start a shell-style command line (`$PORT` expanded) in `env["RUN_DIR"]`."""
    args = shlex.split(os.path.expandvars(command.replace("$PORT", env["PORT"])))
    return subprocess.Popen(args, cwd=env["RUN_DIR"], env=env, stdout=subprocess.DEVNULL)


def stop(process: subprocess.Popen) -> None:
    """Terminate, and kill if it has not exited within 20 s."""
    process.terminate()
    try:
        process.wait(20)
    except subprocess.TimeoutExpired:
        process.kill()


def wait_ready(url: str, seconds: float = 30.0) -> None:
    """Poll `url` until it answers 200; fail the test if it never does."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{url} never became ready")

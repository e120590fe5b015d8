"""The per-stage profile of `bench/gateway.py --profile`: where a web and a worker process
spend their CPU under load.

py-spy samples a running process from outside (no change to the code under test, every
thread seen, the GIL-holding ones only with `--gil`), so one gunicorn worker and one worker
process are recorded for a few seconds in the middle of the load. Its raw output is one line
per distinct stack (`frame;frame;… count`); `top_functions` turns that into the share of
samples a function was running itself (self) and was anywhere on the stack (cumulative).
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

PY_SPY = Path(sys.executable).parent / "py-spy"
#: `func (path/to/file.py:12)` → `func (file.py)`: a function, not one of its lines.
_FRAME = re.compile(r"^(?P<func>.*) \((?P<path>[^():]*)(?::\d+)?\)$")
#: Frames every thread has at its root: on every stack, so they say nothing.
_ROOTS = ("Thread._bootstrap", "Thread._bootstrap_inner", "Thread.run", "<module>")


def children(pid: int) -> list[int]:
    """The direct children of `pid` (gunicorn's workers under its master)."""
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        found += [int(p) for p in (task / "children").read_text().split()]
    return found


def record(pid: int, seconds: float, output: Path, gil_only: bool = True) -> subprocess.Popen:
    """Start sampling `pid` for `seconds` into `output` (py-spy's raw format)."""
    args = [str(PY_SPY), "record", "--pid", str(pid), "--duration", str(int(seconds))]
    args += ["--rate", "200", "--format", "raw", "--function", "--nonblocking", "-o", str(output)]
    if gil_only:  # threads waiting on a socket or a lock are not using the CPU
        args.append("--gil")
    return subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _frame(raw: str) -> str:
    match = _FRAME.match(raw.strip())
    if match is None:
        return raw.strip()
    return f"{match['func']} ({Path(match['path']).name})"


def top_functions(raw_path: Path, limit: int = 15) -> dict:
    """Self and cumulative shares of the samples, per function, the largest first."""
    own: Counter[str] = Counter()
    anywhere: Counter[str] = Counter()
    total = 0
    for line in raw_path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = [_frame(f) for f in stack.split(";") if f]
        frames = [f for f in frames if not f.startswith(_ROOTS)]
        if not frames:
            continue
        n = int(count)
        total += n
        own[frames[-1]] += n
        for frame in set(frames):
            anywhere[frame] += n
    share = lambda c: [[round(100 * n / total, 1), f] for f, n in c.most_common(limit)]  # noqa: E731
    return {"samples": total, "self_pct": share(own), "cumulative_pct": share(anywhere)}


def profile_processes(targets: dict[str, int], seconds: float, folder: Path) -> dict:
    """Sample each named pid for `seconds` at once; their top functions by name."""
    folder.mkdir(parents=True, exist_ok=True)
    running = {name: record(pid, seconds, folder / f"{name}.raw") for name, pid in targets.items()}
    results = {}
    for name, process in running.items():
        process.wait(seconds + 30)
        path = folder / f"{name}.raw"
        results[name] = top_functions(path) if path.exists() else {"error": "no samples"}
    return results


def cpu_per_message(cpu: dict[str, float], messages: int) -> dict[str, float]:
    """CPU milliseconds per message for each group, and for the bot's own processes."""
    groups = {k: v for k, v in cpu.items() if k != "seconds"}
    per = {group: round(1000 * used / messages, 2) for group, used in groups.items()}
    per["bot (web+workers)"] = round(per.get("web", 0.0) + per.get("workers", 0.0), 2)
    return per


class StageProfile:
    """`--profile`: py-spy samples one web process and one worker (the one not killed) for a
    third of the run, starting a quarter into it (bench/profiling.py)."""

    def __init__(
        self, enabled: bool, run_seconds: float, label: str, web: subprocess.Popen, workers: list
    ) -> None:
        self.enabled, self.label = enabled, label
        self.seconds = max(2.0, min(10.0, run_seconds / 3))
        self.delay = run_seconds / 4
        self.targets = lambda: (
            {"web": children(web.pid)[0]} | ({"worker": workers[-1].pid} if workers else {})
        )
        self.thread: threading.Thread | None = None
        self.found: dict = {}

    def start(self) -> None:
        """Begin sampling in the background (nothing without --profile)."""
        if self.enabled:
            self.thread = threading.Thread(target=self._run, daemon=True)
            self.thread.start()

    def _run(self) -> None:
        time.sleep(self.delay)
        folder = Path(tempfile.mkdtemp(prefix=f"bench-profile-{self.label.replace(':', '-')}-"))
        self.found = {"folder": str(folder)}
        self.found |= profile_processes(self.targets(), self.seconds, folder)

    def result(self) -> dict:
        """{"profile": …} once sampling ended, or nothing without --profile."""
        if self.thread is None:
            return {}
        self.thread.join()
        return {"profile": self.found}

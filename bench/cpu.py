"""CPU seconds used by groups of processes during a benchmark run (Linux `/proc`).

A benchmark on one machine shares its cores between the system under test and the stand-ins
for the outside world (load generator, fake platform, fake upstream). To say where the cores
went, `CpuMeter` reads each process's user+system time at the start and at the end of the
measured phase and sums the difference per group:
- a group is named by the pids it was given (their children count with them: gunicorn's
  workers, a `nice` wrapper's program);
- PostgreSQL backends are a group of their own, found by the executable's name;
- `this` is the benchmark process itself.
Processes that exit in between (a killed worker) count with what they used until their
last reading, which `sample()` takes; call it before killing one.
"""

from __future__ import annotations

import os
from collections import defaultdict
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> tuple[int, str, float] | None:
    """(parent pid, command name, CPU seconds) of a process, or None if it is gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    name = raw[raw.index("(") + 1 : raw.rindex(")")]
    fields = raw[raw.rindex(")") + 2 :].split()
    return int(fields[1]), name, (int(fields[11]) + int(fields[12])) / TICKS


def _all() -> dict[int, tuple[int, str, float]]:
    stats = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (stat := _stat(int(entry))) is not None:
            stats[int(entry)] = stat
    return stats


class CpuMeter:
    """Per-group CPU seconds between `start()` and `stop()`."""

    def __init__(self) -> None:
        self.roots: dict[int, str] = {os.getpid(): "this"}
        self.first: dict[int, float] = {}
        self.last: dict[int, tuple[str, float]] = {}

    def track(self, pid: int, group: str) -> None:
        """Count `pid` and its descendants as `group` (also for pids added mid-run)."""
        self.roots[pid] = group

    def _group(self, pid: int, stats: dict) -> str | None:
        seen = pid
        while seen in stats:
            if seen in self.roots:
                return self.roots[seen]
            parent, name, _ = stats[seen]
            if name == "postgres" and seen == pid:
                return "postgres"
            seen = parent
        return None

    def sample(self) -> None:
        """Read every process now (its latest reading counts if it exits later)."""
        stats = _all()
        for pid, (_, _, seconds) in stats.items():
            group = self._group(pid, stats)
            if group is not None:
                self.first.setdefault(pid, 0.0)  # started after start(): all of it
                self.last[pid] = (group, seconds)

    def start(self) -> None:
        """Take the baseline reading."""
        self.first, self.last = {}, {}
        stats = _all()
        for pid, (_, _, seconds) in stats.items():
            group = self._group(pid, stats)
            if group is not None:
                self.first[pid] = seconds
                self.last[pid] = (group, seconds)

    def stop(self) -> dict[str, float]:
        """CPU seconds per group since `start()`."""
        self.sample()
        used: dict[str, float] = defaultdict(float)
        for pid, (group, seconds) in self.last.items():
            used[group] += seconds - self.first.get(pid, 0.0)
        return {group: round(seconds, 1) for group, seconds in sorted(used.items())}

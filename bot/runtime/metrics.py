"""Process counters and the Prometheus text exposition behind `/metrics`.

Counters count what this process did (inbound requests, duplicates, sends, failures by
reason). Queue gauges (pending and parked rows, outbox lag, unreachable chats) are read from
the database at scrape time, so any process's `/metrics` shows the whole deployment's queues.
A hand-written exposition keeps the dependency list short; the format is Prometheus 0.0.4.
"""

from __future__ import annotations

import re
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

#: Counter name -> help text. Names get the `kuaidi_` prefix and `_total` suffix.
COUNTERS = {
    "inbound": "Deliveries accepted into the inbox, by platform.",
    "rejected": "Deliveries the adapter could not read (stored, skipped), by platform.",
    "duplicates": "Re-deliveries dropped by the inbox's unique key, by platform.",
    "handled": "Inbox rows handled by this process, by platform and outcome.",
    "inbox_parked": "Inbox rows parked after repeated failures, by platform and reason.",
    "sent": "Outbox rows delivered by this process, by platform.",
    "send_failures": "Failed or deferred sends by platform and reason.",
    "unreachable": "Targets newly marked unreachable by a permanent refusal, by platform.",
}

_NAME_OK = re.compile(r"[^a-zA-Z0-9_]")


class Metrics:
    """Thread-safe labelled counters."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[str, dict[tuple[tuple[str, str], ...], float]] = defaultdict(dict)

    def inc(self, name: str, amount: float = 1.0, **labels: str) -> None:
        """Add `amount` to counter `name` with `labels`."""
        key = tuple(sorted(labels.items()))
        with self._lock:
            series = self._counts[name]
            series[key] = series.get(key, 0.0) + amount

    def value(self, name: str, **labels: str) -> float:
        """The current value of one series (0 when never incremented)."""
        with self._lock:
            return self._counts.get(name, {}).get(tuple(sorted(labels.items())), 0.0)

    def render(self, gauges: Mapping[str, tuple[str, Iterable[tuple[dict, float]]]] = ()) -> str:
        """The exposition: every counter, then `gauges` (name -> (help, [(labels, value)]))."""
        lines: list[str] = []
        with self._lock:
            snapshot = {name: dict(series) for name, series in self._counts.items()}
        for name, help_text in COUNTERS.items():
            full = f"kuaidi_{name}_total"
            lines += [f"# HELP {full} {help_text}", f"# TYPE {full} counter"]
            for labels, value in sorted(snapshot.get(name, {}).items()):
                lines.append(f"{full}{_labels(dict(labels))} {_number(value)}")
        for name, (help_text, samples) in dict(gauges).items():
            lines += [f"# HELP {name} {help_text}", f"# TYPE {name} gauge"]
            for labels, value in samples:
                lines.append(f"{name}{_labels(labels)} {_number(value)}")
        return "\n".join(lines) + "\n"


def upstream_gauges(stats: Mapping[str, object]) -> dict[str, tuple[str, list]]:
    """Turn the upstream provider's `stats` dict into gauges.

    Numbers become `kuaidi_upstream_<key>`; a dict of numbers becomes one gauge with a `kind`
    label (e.g. errors by kind). Anything else is left out.
    """
    gauges: dict[str, tuple[str, list]] = {}
    for key, value in stats.items():
        name = "kuaidi_upstream_" + _NAME_OK.sub("_", str(key))
        if isinstance(value, bool):
            value = int(value)
        if isinstance(value, int | float):
            gauges[name] = (f"Upstream provider stat {key}.", [({}, float(value))])
        elif isinstance(value, Mapping):
            samples = [
                ({"kind": str(k)}, float(v))
                for k, v in value.items()
                if isinstance(v, int | float) and not isinstance(v, bool)
            ]
            gauges[name] = (f"Upstream provider stat {key}, by kind.", samples)
    return gauges


def queue_gauges(
    inbox_counts: Mapping[str, int],
    outbox_counts: Mapping[str, int],
    outbox_lag: float,
    inbox_lag: float,
    unreachable: int,
    parked: Mapping[str, Mapping[str, int]] | None = None,
) -> dict[str, tuple[str, list]]:
    """Gauges describing the inbox and outbox queues; `parked` is queue -> reason -> rows."""
    by_reason = [
        ({"queue": queue, "reason": reason}, float(n))
        for queue, reasons in sorted((parked or {}).items())
        for reason, n in sorted(reasons.items())
    ]
    return {
        "kuaidi_inbox_rows": (
            "Inbox rows by status.",
            [({"status": s}, float(n)) for s, n in sorted(inbox_counts.items())],
        ),
        "kuaidi_outbox_rows": (
            "Outbox rows by status (parked rows need an operator).",
            [({"status": s}, float(n)) for s, n in sorted(outbox_counts.items())],
        ),
        "kuaidi_parked_rows": (
            "Parked rows by queue (inbox, outbox) and reason; each needs an operator.",
            by_reason,
        ),
        "kuaidi_outbox_lag_seconds": ("Age of the oldest unsent outbox row.", [({}, outbox_lag)]),
        "kuaidi_inbox_lag_seconds": ("Age of the oldest unhandled delivery.", [({}, inbox_lag)]),
        "kuaidi_unreachable_targets": ("Chats that refused sends for good.", [({}, unreachable)]),
    }


def _labels(labels: Mapping[str, str]) -> str:
    if not labels:
        return ""
    inner = ",".join(f'{k}="{_escape(str(v))}"' for k, v in sorted(labels.items()))
    return "{" + inner + "}"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


StatsSource = Callable[[], Mapping[str, object]]

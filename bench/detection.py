"""Benchmark waybill detection against the dev corpus, next to a naive regex baseline.

Usage (from the repo root):  .venv/bin/python bench/detection.py [corpus.jsonl] [--repeat N]

Prints precision, recall and carrier accuracy, lists false positives and misses, and measures
messages per second through extraction + carrier identification on one core, for the engine
and for the baseline ("10-22 digits or a letter prefix", carrier from the prefix only).

Then the generated set (tests/waybills/generated.py: every class of waybill built from its
documented format, bare and in Chinese/English requests, plus look-alikes): recall per style,
false reports on look-alikes, carrier right where the format names one, and the classes
missed, for both detectors. ``--classes`` lists every class.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
import unicodedata
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.carriers import default_registry  # noqa: E402
from bot.waybills.evaluate import Detector, Score, engine, evaluate, load  # noqa: E402
from tests.waybills import generated  # noqa: E402

DEFAULT_CORPUS = Path(__file__).resolve().parents[1] / "tests" / "data" / "messages-dev.jsonl"
_NAIVE = re.compile(r"(?<![A-Z0-9])(?:[A-Z]{1,3}\d{8,20}|1Z[0-9A-Z]{16}|\d{10,22})(?![A-Z0-9])")
_NAIVE_PREFIX = {"SF": "shunfeng", "YT": "yuantong", "JT": "jtexpress", "JD": "jd"}
_NAIVE_PREFIX.update({"DP": "debangkuaidi", "1Z": "ups"})


def naive(text: str) -> list[tuple[str, list[str]]]:
    """The baseline: every 10-22 digit run or letter-prefixed run; carrier by prefix only."""
    folded = unicodedata.normalize("NFKC", text).upper()
    found: dict[str, list[str]] = {}
    for match in _NAIVE.finditer(folded):
        number = match.group(0)
        carrier = _NAIVE_PREFIX.get(number[:2])
        found.setdefault(number, [carrier] if carrier else [])
    return list(found.items())


def throughput(detector: Detector, texts: list[str], repeat: int) -> float:
    """Messages per CPU second of this process over ``repeat`` passes of the corpus (CPU time,
    not wall time: on a shared machine the wall clock counts other processes' work too)."""
    started = time.process_time()
    for _ in range(repeat):
        for text in texts:
            detector(text)
    return len(texts) * repeat / (time.process_time() - started)


def report(name: str, score: Score, rate: float) -> None:
    """Print one detector's results."""
    print(f"== {name}")
    print(
        f"precision {score.precision:.4f}  recall {score.recall:.4f}  "
        f"carrier accuracy {score.carrier_accuracy:.4f} "
        f"({score.carrier_right}/{score.carrier_total})  {rate:,.0f} msgs/s"
    )
    print(f"false positives ({len(score.false_positives)}):")
    for number, text in score.false_positives:
        print(f"  {number}\t{text}")
    print(f"misses ({len(score.misses)}):")
    for number, text in score.misses:
        print(f"  {number}\t{text}")
    print(f"carrier errors ({len(score.carrier_errors)}):")
    for number, expected, got in score.carrier_errors:
        print(f"  {number}\texpected {expected}, got {got}")


def report_generated(name: str, detector: Detector, classes: bool) -> None:
    """One detector on the generated set."""
    samples = generated.positives() + generated.negatives()
    tallies = generated.score(detector, samples)
    rate = throughput(detector, [s.text for s in samples], 5)
    styles = "  ".join(
        f"{style} {tallies[style].rate:.3f}" for style in ("bare", "zh", "en", "negative")
    )
    print(f"== {name} (generated: {len(samples)} messages)")
    print(f"recall/false-report rate: {styles}  carrier {tallies['all'].carrier_rate:.3f}")
    print(f"{rate:,.0f} msgs/s ({1000 / rate:.3f} CPU ms/message)")
    negative_kinds = {kind for kind, _ in generated.NEGATIVES}
    for key, tally in sorted(tallies.items()):
        if not key.startswith("kind:"):
            continue
        kind = key[5:]
        off = tally.rate > 0 if kind in negative_kinds else tally.rate < 0.9
        if classes or off:
            print(f"  {kind:16} found/reported {tally.rate:.2f}  carrier {tally.carrier_rate:.2f}")


def main(argv: list[str] | None = None) -> int:
    """Run both detectors over the corpus and print the comparison."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", default=str(DEFAULT_CORPUS))
    parser.add_argument("--repeat", type=int, default=40, help="passes for the speed test")
    parser.add_argument("--classes", action="store_true", help="every generated class")
    args = parser.parse_args(argv)
    lines = load(args.corpus)
    texts = [line["text"] for line in lines]
    default_registry()  # load the registry outside the timed loop
    print(f"corpus: {args.corpus} ({len(lines)} lines), speed over {args.repeat} passes")
    for name, detector in (("engine", engine), ("naive baseline", naive)):
        report(name, evaluate(lines, detector), throughput(detector, texts, args.repeat))
    for name, detector in (("engine", engine), ("naive baseline", naive)):
        report_generated(name, detector, args.classes)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Benchmark reading waybills from images: label barcodes and screenshot text (bot/vision).

Usage (from the repo root):
    .venv/bin/python bench/vision.py [--labels 200] [--screens 50] [--seed 15] [--core N]

Makes the images first (tests/vision/images.py: numbers from the Chinese carriers' formats of
tests/waybills/generated.py, Code 128 labels (one in ten a QR code with a tracking link)
photographed at 1-4 MP, turned up to ±30°, keystoned, blurred σ 0-1.2 px, noise, JPEG q70-92;
order-page and SMS screenshots at 750 × 1334 or 1080 × 1920, PNG or JPEG) into a temporary
folder, then scans them in a fresh process pinned to one core (onnxruntime on one thread), so
its peak memory is the scanner's alone. Prints the barcode read rate, the OCR recall on
screenshots, other numbers reported, p50/p95 wall and CPU time per image for each path, and
the peak RSS. Labels are timed on the barcode path alone (``ocr=False``); a label no barcode
pass read is then scanned again with OCR, shown next to the miss.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.vision import images  # noqa: E402
from tests.waybills.generated import KINDS  # noqa: E402

#: The domestic formats of the generated set (docs/waybills.md §1 and the carriers with a
#: Chinese prefix of their own), up to the first foreign one.
CHINESE = KINDS[: next(i for i, k in enumerate(KINDS) if k.name == "ontrac_c")]


def make_labels(folder: Path, count: int, rng: random.Random) -> list[dict]:
    """``count`` photographed labels; returns what each holds and how it was made."""
    made = []
    for index in range(count):
        number = rng.choice(CHINESE).make(rng)
        qr = index % 10 == 9
        page = images.label(number, rng)
        if qr:  # a QR code with a tracking link instead of the Code 128
            link = f"https://m.kuaidi100.com/result.jsp?nu={number}"
            page.paste(255, (0, 130, 800, 325))
            page.paste(images.barcode(link, "QRCode", 4).resize((190, 190)), (305, 132))
        shape = {
            "megapixels": round(rng.uniform(1, 4), 2),
            "angle": round(rng.uniform(-30, 30), 1),
            "blur": round(rng.uniform(0, 1.2), 2),
            "noise": round(rng.uniform(0, 0.08), 3),
        }
        photo = images.photograph(page, rng, **shape)
        name = f"label-{index:03d}.jpg"
        (folder / name).write_bytes(images.encode(photo, quality=rng.randint(70, 92)))
        made.append({"file": name, "number": number, "kind": "qr" if qr else "code128", **shape})
    return made


def make_screens(folder: Path, count: int, rng: random.Random) -> list[dict]:
    """``count`` screenshots, half order pages and half SMS, at two phone sizes."""
    made = []
    for index in range(count):
        number = rng.choice(CHINESE).make(rng)
        style = ("shop", "sms")[index % 2]
        shot = images.screenshot(number, rng, style)
        if rng.random() < 0.5:  # an Android-size screen: same layout, larger
            shot = shot.resize((1080, 1920), images.Image.Resampling.BICUBIC)
        fmt = rng.choice(("PNG", "JPEG"))
        name = f"screen-{index:03d}.{fmt.lower()}"
        (folder / name).write_bytes(images.encode(shot, fmt))
        made.append({"file": name, "number": number, "style": style, "size": shot.size})
    return made


def measure(folder: Path, core: int) -> dict:
    """Scan every image of ``folder`` (the child process): per file, what was found and the
    wall and CPU milliseconds; plus the process's peak RSS."""
    os.sched_setaffinity(0, {core})
    from bot.vision import scan_image
    from bot.vision.ocr import engine

    engine()  # built once, before the clock starts, as in a running worker
    results = {}
    for path in sorted(folder.iterdir()):
        if path.suffix not in (".jpg", ".png", ".jpeg"):
            continue
        data = path.read_bytes()
        label = path.name.startswith("label")
        wall, cpu = time.perf_counter(), time.process_time()
        # Labels: the barcode path alone is timed; OCR's fallback is run apart, below.
        scan = scan_image(data, ocr=not label)
        results[path.name] = {
            "found": [[f.waybill.number, f.source] for f in scan.found],
            "wall_ms": (time.perf_counter() - wall) * 1000,
            "cpu_ms": (time.process_time() - cpu) * 1000,
        }
        if label and not scan.found:
            again = scan_image(data)
            results[path.name]["fallback"] = [[f.waybill.number, f.source] for f in again.found]
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"results": results, "peak_rss_mb": round(peak_kb / 1024, 1)}


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def report(title: str, made: list[dict], results: dict, source: str) -> None:
    """Read rate (the right number, from ``source``), others reported, and times."""
    hits = [m for m in made if [m["number"], source] in results[m["file"]]["found"]]
    others = sum(
        1 for m in made for number, _ in results[m["file"]]["found"] if number != m["number"]
    )
    wall = [results[m["file"]]["wall_ms"] for m in made]
    cpu = [results[m["file"]]["cpu_ms"] for m in made]
    print(
        f"{title}: {len(hits)}/{len(made)} = {len(hits) / len(made):.3f} read by {source}; "
        f"other numbers reported: {others}"
    )
    print(
        f"  wall ms p50 {percentile(wall, 0.5):.0f}  p95 {percentile(wall, 0.95):.0f}  "
        f"max {max(wall):.0f} | CPU ms p50 {percentile(cpu, 0.5):.0f}  "
        f"p95 {percentile(cpu, 0.95):.0f}  max {max(cpu):.0f}"
    )
    for miss in (m for m in made if m not in hits):
        result = results[miss["file"]]
        fallback = f"; with OCR: {result['fallback']}" if "fallback" in result else ""
        print(f"  missed {miss} → {result['found']}{fallback}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--labels", type=int, default=200)
    parser.add_argument("--screens", type=int, default=50)
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--core", type=int, default=max(os.sched_getaffinity(0)))
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure, args.core)))
        return
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory(prefix="kuaidi-vision-") as tmp:
        folder = Path(tmp)
        labels = make_labels(folder, args.labels, rng)
        screens = make_screens(folder, args.screens, rng)
        child = subprocess.run(
            [sys.executable, __file__, "--measure", tmp, "--core", str(args.core)],
            check=True,
            capture_output=True,
            text=True,
        )
    measured = json.loads(child.stdout)
    results = measured["results"]
    print(f"core {args.core} of nproc {os.cpu_count()}; seed {args.seed}")
    report(f"labels ({args.labels})", labels, results, "barcode")
    report(f"screenshots ({args.screens})", screens, results, "ocr")
    print(f"peak RSS of the scanning process: {measured['peak_rss_mb']} MB")


if __name__ == "__main__":
    main()

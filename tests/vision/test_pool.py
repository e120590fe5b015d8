"""The bounded pool: at most workers + queue scans admitted, the rest refused at once."""

from __future__ import annotations

import threading

import pytest

from bot.settings import Settings
from bot.vision import ImageRejected, ImageScan, VisionBusy, VisionPool


def test_a_full_pool_refuses_at_once_and_frees_its_slots():
    gate = threading.Event()
    started = []

    def held_scan(data, **_options):
        started.append(data)
        gate.wait()
        return ImageScan((), 1.0)

    pool = VisionPool(workers=1, queue=1, scan=held_scan)
    try:
        first, second = pool.submit(b"1"), pool.submit(b"2")
        with pytest.raises(VisionBusy):
            pool.submit(b"3")
        gate.set()
        assert first.result(10).found == () and second.result(10).found == ()
        assert pool.scan(b"4", timeout=10).ms == 1.0
        assert started == [b"1", b"2", b"4"]
    finally:
        gate.set()
        pool.close()


def test_a_rejected_image_comes_back_through_the_future_and_frees_its_slot():
    pool = VisionPool(workers=1, queue=0)
    try:
        for _ in range(2):  # the second is admitted only if the first gave its slot back
            with pytest.raises(ImageRejected) as caught:
                pool.scan(b"not an image", ocr=False, timeout=30)
            assert caught.value.reason == "not_an_image"
    finally:
        pool.close()


def test_the_pool_and_limits_come_from_the_settings():
    settings = Settings(
        _env_file=None,
        kuaidi_vision_workers=2,
        kuaidi_vision_queue=0,
        kuaidi_vision_max_bytes=1234,
        kuaidi_vision_max_pixels=5678,
    )
    pool = VisionPool.from_settings(settings)
    try:
        assert pool.workers == 2
        assert (pool.limits.max_bytes, pool.limits.max_pixels) == (1234, 5678)
    finally:
        pool.close()

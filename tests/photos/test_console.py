"""`/photo PATH` in the console: a local picture down the same path as a platform's."""

from __future__ import annotations

import io

from adapters.assembly import build_application
from adapters.console import PLATFORM, ConsoleSender, LocalPictures, run_console
from bot.settings import Settings
from tests.photos.images import barcode_image

YT = "YT1234567890123"


def console(tmp_path, lines: list[str], cap: int = 10_000_000) -> str:
    """A demo-data console session fed `lines`; everything it printed."""
    values = {"data_dir": tmp_path, "kuaidi_appcode": None, "redis_url": None}
    output = io.StringIO()
    sender = ConsoleSender(output)
    app = build_application(
        Settings(_env_file=None, **values),
        worker_threads=0,
        sender_threads=0,
        extra_senders={PLATFORM: sender},
        adapters=[],
    )
    app.core.attachment_sources[PLATFORM] = LocalPictures(cap)
    try:
        run_console(app.core.engine, demo=True, input=io.StringIO("\n".join(lines)), output=output)
    finally:
        app.stop()
    return output.getvalue()


def test_a_local_label_photo_is_read_and_tracked(tmp_path):
    label = tmp_path / "label.png"
    label.write_bytes(barcode_image(YT))

    text = console(tmp_path, [f"/photo {label}"])

    assert f"📷 图片里识别到：{YT}（条码）" in text
    assert f"📦 圆通速递 {YT}" in text


def test_english_and_a_quoted_path(tmp_path):
    label = tmp_path / "my label.png"
    label.write_bytes(barcode_image(YT))

    text = console(tmp_path, ["/lang en", f'/photo "{label}"'])

    assert f"📷 Read from the picture: {YT} (barcode)" in text


def test_missing_and_oversized_files_get_a_clear_line(tmp_path):
    big = tmp_path / "big.png"
    big.write_bytes(barcode_image(YT) + b"\0" * 2000)

    text = console(tmp_path, [f"/photo {tmp_path / 'nope.png'}", f"/photo {big}"], cap=1000)

    assert "过期或被删除" in text
    assert "图片太大了" in text

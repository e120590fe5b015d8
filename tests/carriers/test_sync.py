"""sync_registry pages an upstream carrier list and writes an override load_registry merges."""

from __future__ import annotations

import json

from bot.carriers import load_registry
from bot.carriers.sync import sync_registry

VENDOR_PAGES = {
    1: [
        {
            "Name": "极兔速递",
            "simName": "jt",
            "phone": "956025",
            "url": "https://www.jtexpress.cn",
        },
        {"Name": "京东快递", "simName": "jingdong", "phone": "950616", "url": ""},
        {"Name": "顺丰速运", "simName": "SFEXPRESS", "phone": "95338", "url": ""},
    ],
    2: [
        {
            "Name": "中通快运",
            "simName": "ztky",
            "phone": "4000-270-270",
            "url": "https://ztky.com",
        },
        {
            "Name": "星际快递",
            "simName": "xingji",
            "phone": "400-000-0000",
            "url": "https://x.example",
        },
    ],
}


def fetch_page(page: int):
    """A plain function standing in for the upstream's paged carrier list."""
    calls.append(page)
    return VENDOR_PAGES.get(page, []), len(VENDOR_PAGES)


calls: list[int] = []


def test_sync_writes_override_that_load_registry_merges(tmp_path):
    calls.clear()
    path = tmp_path / "data" / "carriers-override.json"
    report = sync_registry(fetch_page, path)
    assert calls == [1, 2]
    assert (report.pages, report.matched, report.added) == (2, 4, 1)
    assert json.loads(path.read_text(encoding="utf-8"))["vendor_codes"]["jtexpress"] == "jt"

    registry = load_registry(path)
    assert registry.vendor_code("jtexpress") == "jt"
    assert registry.vendor_code("jd") == "jingdong"
    assert registry.vendor_code("shunfeng") == "SFEXPRESS"
    assert registry.get("SFEXPRESS").code == "shunfeng"
    assert registry.vendor_code("zhongtongkuaiyun") == "ztky"
    assert registry.get("zhongtongkuaiyun").phone == "4000-270-270"  # filled, was empty
    added = registry.get("xingji")
    assert added.name == "星际快递" and added.website == "https://x.example"
    assert registry.search("星际").items[0].code == "xingji"
    assert len(registry) == len(load_registry()) + 1


def test_sync_stops_at_an_empty_page(tmp_path):
    def endless(page: int):
        return (
            ([{"Name": "圆通速递", "simName": "yuantong", "phone": "", "url": ""}], 99)
            if page < 3
            else ([], 99)
        )

    report = sync_registry(endless, tmp_path / "o.json")
    assert report.pages == 3 and report.matched == 2 and report.added == 0


def test_sync_reads_the_upstream_clients_normalised_rows(tmp_path):
    """`ApiClient.carriers` hands rows as {code, name, phone, url}: they must count too."""
    rows = [{"name": "极兔速递", "code": "jt", "phone": "", "url": ""}]
    report = sync_registry(lambda page: (rows, 1) if page == 1 else ([], 1), tmp_path / "o.json")
    assert report.matched == 1
    assert load_registry(tmp_path / "o.json").vendor_code("jtexpress") == "jt"


def test_cli_sync_against_the_fake_upstream_fills_the_override(monkeypatch, tmp_path):
    from adapters.cli import main
    from tests.fakes.upstream_server import FakeUpstream

    with FakeUpstream() as upstream:
        monkeypatch.setenv("KUAIDI_APPCODE", upstream.appcode)
        monkeypatch.setenv("KUAIDI_API_BASE", upstream.url)
        monkeypatch.setenv("KUAIDI_CARRIERS_PATH", upstream.carriers_path)
        monkeypatch.setenv("DATA_DIR", str(tmp_path))
        assert main(["carriers", "sync"]) == 0
    registry = load_registry(tmp_path / "carriers-override.json")
    assert registry.vendor_code("jtexpress") == "jt"
    monkeypatch.delenv("KUAIDI_APPCODE")
    assert main(["carriers", "sync"]) == 1  # the demo has no carrier list to sync from

"""The shipped carrier registry: size, lookups, paged search, names in text."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.carriers import default_registry, load_registry
from bot.carriers.registry import SHIPPED_PATH


@pytest.fixture(scope="module")
def registry():
    return default_registry()


def test_ships_at_least_1300_carriers_with_attribution(registry):
    assert len(registry) >= 1300
    document = json.loads(SHIPPED_PATH.read_text(encoding="utf-8"))
    assert "tourze/kuaidi100-query-bundle" in document["attribution"]
    readme = (Path(SHIPPED_PATH).parent / "README.md").read_text(encoding="utf-8")
    assert "XadillaX/xto" in readme and "MIT" in readme


def test_big_carriers_have_hotlines(registry):
    assert registry.get("shunfeng").phone == "95338"
    assert registry.get("zhongtong").phone == "95311"
    assert registry.get("jd").name == "京东物流"


@pytest.mark.parametrize(
    ("key", "code"),
    [
        ("shunfeng", "shunfeng"),
        ("顺丰", "shunfeng"),
        ("SF Express", "shunfeng"),
        ("jt", "jtexpress"),
        ("极兔", "jtexpress"),
        ("jingdong", "jd"),
        ("京东", "jd"),
        ("ups", "ups"),
        ("YunExpress", "yuntrack"),
        ("德邦", "debangkuaidi"),
        ("ＥＭＳ", "ems"),
    ],
)
def test_get_by_code_name_or_alias(registry, key, code):
    assert registry.get(key).code == code


def test_get_unknown(registry):
    assert registry.get("no-such-carrier") is None


def test_vendor_codes(registry):
    assert registry.vendor_code("jtexpress") == "jt"
    assert registry.vendor_code("jd") == "jingdong"
    assert registry.vendor_code("京东") == "jingdong"
    assert registry.vendor_code("shunfeng") == "shunfeng"
    assert registry.vendor_code("no-such-carrier") is None


def test_search_ranks_exact_then_prefix_then_substring(registry):
    page = registry.search("顺丰")
    assert page.items[0].code == "shunfeng"
    assert page.count >= 5 and page.pagecount == -(-page.count // 10)
    assert all("顺丰" in c.name + c.short_name + "".join(c.aliases) for c in page.items)


def test_search_by_code_and_alias(registry):
    assert registry.search("zhongtong").items[0].code == "zhongtong"
    assert registry.search("jingdong").items[0].code == "jd"


def test_search_pages_through_everything(registry):
    first = registry.search("", page=1, per_page=50)
    assert first.count == len(registry) and first.pagecount == -(-len(registry) // 50)
    codes = []
    for page in range(1, first.pagecount + 1):
        codes += [c.code for c in registry.search("", page=page, per_page=50).items]
    assert len(codes) == len(set(codes)) == len(registry)
    assert codes[:3] == ["yuantong", "shentong", "zhongtong"]  # popularity order
    assert registry.search("", page=first.pagecount + 1, per_page=50).items == ()


def test_search_nothing(registry):
    page = registry.search("绝对没有这个快递公司")
    assert (page.items, page.count, page.pagecount) == ((), 0, 0)


@pytest.mark.parametrize(
    ("text", "codes"),
    [
        ("顺丰的还是中通的？", ["shunfeng", "zhongtong"]),
        ("Two boxes: UPS and FedEx", ["ups", "fedex"]),
        ("SF Express waybill", ["shunfeng"]),
        ("我寄的是韵达快递", ["yunda"]),
        ("邮政包裹到了", ["youzhengguonei"]),
        ("天天都在等快递", []),  # 天天 is an everyday word here
        ("京东订单号 123", ["jd"]),  # named; not the 京东订单 pseudo-carrier
        ("the sups and downs", []),  # Latin names only as whole words
    ],
)
def test_find_in_text(registry, text, codes):
    assert [c.code for c in registry.find_in_text(text)] == codes


def test_load_registry_without_override_file(tmp_path):
    registry = load_registry(tmp_path / "absent.json")
    assert len(registry) == len(default_registry())

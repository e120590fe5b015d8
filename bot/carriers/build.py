"""Maintainer tool: rebuild ``carriers.json`` from the shared reference data.

Run ``python -m bot.carriers.build ../shared/data/carriers.json`` from the repo root after the
reference list changes. It trims the reference rows to the fields the bot needs and merges the
curated aliases below (English names, other vendors' codes), which the reference lacks. Kept in
the package so the shipped file can always be reproduced; the bot itself never runs it.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

OUT_PATH = Path(__file__).with_name("carriers.json")

ATTRIBUTION = (
    "Carrier codes and Chinese names: github.com/tourze/kuaidi100-query-bundle "
    "src/DataFixtures/BasicKuaidiCompanyFixtures.php @ fb0b57d0 (MIT, 2025). Phones and "
    "websites: github.com/XadillaX/xto const/namemapper.js @ 4c96213e (MIT, 2018, a copy of "
    "kuaidi100's public company table); 13 big carriers' hotlines from a 2025 public carrier "
    "catalog. Codes are kuaidi100's."
)

# Names people type and other vendors' codes, keyed by kuaidi100 code. A name listed here wins
# over the same string used as another carrier's short name (e.g. 德邦 -> the express code).
CURATED_ALIASES: dict[str, list[str]] = {
    "shunfeng": ["SF", "SF Express", "S.F. Express", "顺丰速运", "顺丰快递", "顺丰速递"],
    "yuantong": ["YTO", "YTO Express", "圆通", "圆通快递"],
    "zhongtong": ["ZTO", "ZTO Express", "中通"],
    "shentong": ["STO", "STO Express", "申通"],
    "yunda": ["Yunda", "Yunda Express", "韵达", "韵达快递", "韵达速递"],
    "jtexpress": ["jt", "J&T", "J&T Express", "JT Express", "JITU", "JTSD", "极兔", "极兔快递"],
    "jd": ["jingdong", "JD", "JD Logistics", "JDL", "JDLEX", "JDVD", "京东快递", "京东"],
    "ems": ["EYB", "中国邮政EMS", "邮政EMS", "EMS快递", "中国邮政速递"],
    "youzhengguonei": ["YZPY", "China Post", "中国邮政", "邮政", "邮政包裹", "邮政快递"],
    "youzhengguoji": ["China Post International", "中国邮政国际"],
    "debangkuaidi": ["Deppon", "DBL", "DPK", "德邦", "德邦物流"],
    "ups": ["UPS", "联合包裹"],
    "fedex": ["FedEx", "Federal Express", "联邦快递", "联邦"],
    "dhl": ["DHL", "DHL Express", "敦豪"],
    "usps": ["USPS", "US Postal Service", "United States Postal Service", "美国邮政"],
    "yuntrack": ["yunexpress", "YunExpress", "云途", "云途物流"],
    "huitongkuaidi": ["HTKY", "BEST Express", "百世", "百世汇通"],
    "annengwuliu": ["ANE", "安能", "安能物流"],
    "kuayue": ["KYE", "Kuayue", "跨越"],
    "zhaijisong": ["ZJS", "宅急送"],
    "danniao": ["ZMKM", "丹鸟", "菜鸟直送"],
    "youshuwuliu": ["UC", "优速", "优速快递"],
    "zhongtongkuaiyun": ["中通快运"],
    "shunfengkuaiyun": ["顺丰快运"],
    "jingdongkuaiyun": ["京东快运"],
    "hkpost": ["Hongkong Post", "Hong Kong Post"],
    "royalmail": ["Royal Mail"],
    "japanposten": ["Japan Post"],
    "canpost": ["Canada Post"],
    "auspost": ["Australia Post"],
    "tnt": ["TNT"],
}

# The upstream vendor's own codes where they differ from kuaidi100's (its docs' examples).
VENDOR_CODES = {"jtexpress": "jt", "jd": "jingdong"}


def build(reference_path: Path) -> dict:
    """Return the trimmed registry document built from the reference carriers.json."""
    rows = json.loads(reference_path.read_text(encoding="utf-8"))
    carriers = []
    for row in rows:
        code = row["code"]
        aliases = [a for a in CURATED_ALIASES.get(code, []) if a not in (code, row["name"])]
        carriers.append(
            {
                "code": code,
                "name": row["name"],
                "short_name": row["short_name"],
                "aliases": aliases,
                "phone": row["tel"],
                "website": row["website_2018"],
                "list_order": row["list_order"],
                "current": row["in_current_list"],
            }
        )
    known = {c["code"] for c in carriers}
    missing = sorted(set(CURATED_ALIASES) - known)
    if missing:
        raise SystemExit(f"curated aliases name unknown codes: {missing}")
    return {"attribution": ATTRIBUTION, "vendor_codes": VENDOR_CODES, "carriers": carriers}


def main(argv: list[str]) -> int:
    """Write carriers.json next to this module from the reference file named in argv."""
    document = build(Path(argv[1]))
    text = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
    # One carrier per line keeps diffs of the shipped file reviewable.
    text = text.replace('},{"code"', '},\n{"code"')
    OUT_PATH.write_text(text + "\n", encoding="utf-8")
    print(f"wrote {len(document['carriers'])} carriers to {OUT_PATH}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))

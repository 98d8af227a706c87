"""Benchmark of the bulk offer upload (批量上传): parse + validate + apply of an XLSX file.

    .venv/bin/python bench/catalog_upload.py [--rows 10000] [--bad 300]

Uses a fresh SQLite database in a temporary directory, or DATABASE_URL when set (it must be
a throwaway database: it is migrated to head and refused if it already holds offers).
Prints human lines, then as its LAST line one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, inspect, select  # noqa: E402
from sqlalchemy.orm import sessionmaker  # noqa: E402
from stdnum.cn import uscc  # noqa: E402

from catalog import upload  # noqa: E402
from catalog.categories import load_categories  # noqa: E402
from catalog.models import Offer  # noqa: E402
from mall import migrate  # noqa: E402
from mall.accounts import create_user  # noqa: E402
from mall.audit import AuditEvent  # noqa: E402
from mall.db import make_engine, session_scope  # noqa: E402
from suppliers import registration  # noqa: E402
from suppliers import status as supplier_status  # noqa: E402

# category → (name, brands, model stems, spec maker, price range)
LINES = {
    "A02010105": ("台式计算机", {"联想": ["扬天M4000q", "启天M437", "开天M740J"],
                               "华为": ["擎云B730E", "MateStation B520"],
                               "惠普": ["战99 G5", "ProDesk 480 G9"],
                               "戴尔": ["OptiPlex 7010", "成就3710"]},
                  lambda r: {"CPU": r.choice(["Intel 酷睿 i5-12400", "Intel 酷睿 i7-12700",
                                              "兆芯 KX-U6780A", "海光 3250"]),
                             "内存": r.choice(["8GB", "16GB", "32GB"]),
                             "硬盘": r.choice(["512GB SSD", "1TB SSD", "256GB SSD+1TB HDD"]),
                             "操作系统": r.choice(["Windows 11 专业版", "统信 UOS", "麒麟 V10"])},
                  (3200, 8900)),
    "A02010108": ("便携式计算机", {"联想": ["ThinkPad E14", "昭阳K4e"],
                                "华为": ["MateBook D14", "擎云L540"],
                                "惠普": ["战66 六代", "EliteBook 640"],
                                "戴尔": ["Latitude 5440", "成就 Vostro 3420"]},
                  lambda r: {"CPU": r.choice(["Intel 酷睿 i5-1335U", "AMD 锐龙5 7530U"]),
                             "内存": r.choice(["16GB", "32GB"]),
                             "硬盘": r.choice(["512GB SSD", "1TB SSD"]),
                             "屏幕尺寸": r.choice(["14英寸", "15.6英寸"])},
                  (3900, 9800)),
    "A05040101": ("复印纸", {"得力": ["7401", "ZF6001"], "晨光": ["APYVPB01", "APYVQ959"],
                          "齐心": ["C5001", "C7001"]},
                  lambda r: {"规格": r.choice(["A4", "A3"]), "克重": r.choice(["70g", "80g"]),
                             "包装": r.choice(["500张/包，8包/箱", "500张/包，5包/箱"])},
                  (120, 260)),
    "A02061804": ("空调机", {"格力": ["KFR-35GW", "KFR-72LW"], "美的": ["KFR-35GW/N8", "KFR-51LW"],
                          "海尔": ["KFR-35GW/05", "KFR-72LW/03"]},
                  lambda r: {"制冷量": r.choice(["3500W", "5100W", "7200W"]),
                             "能效等级": r.choice(["一级能效", "二级能效"])},
                  (2600, 9900)),
    "A05010301": ("办公椅", {"得力": ["91050", "87022"], "晨光": ["AJG99", "ADG5"],
                          "齐心": ["BY-J62", "BY-Q18"]},
                  lambda r: {"材质": r.choice(["网布", "PU皮", "真皮"]),
                             "扶手": r.choice(["固定扶手", "升降扶手"])},
                  (260, 1800)),
}
REGIONS = ["全国", "33", "3301,3302", "11,12,13", "44,45", "5227", "32,31"]


def make_rows(n: int, *, seed: int = 7, today: date | None = None) -> list[dict]:
    """n distinct, valid, realistic rows (typed values: Decimal prices, ints, dates)."""
    r = random.Random(seed)
    today = today or date.today()
    codes = list(LINES)
    rows = []
    for i in range(n):
        code = codes[i % len(codes)]
        name, brands, spec, (lo, hi) = LINES[code]
        brand = r.choice(list(brands))
        stem = r.choice(brands[brand])
        model = f"{stem}-{i:05d}"
        specs = spec(r)
        price = Decimal(r.randrange(lo * 100, hi * 100)) / 100
        green = code in ("A02010105", "A02010108", "A02061804") or r.random() < 0.2
        row = {
            "category_code": code, "brand": brand, "model": model,
            "title": f"{brand} {model} {name} " + " ".join(list(specs.values())[:2]),
            "price": price,
            "market_price": (price * Decimal("1.08")).quantize(Decimal("0.01"))
            if r.random() < 0.7 else None,
            "market_price_source": None, "stock": r.randrange(0, 5000),
            "min_order_qty": r.choice([1, 1, 1, 2, 5]), "delivery_regions": r.choice(REGIONS),
            "lead_time_days": r.choice([1, 2, 3, 5, 7, 15]),
            "warranty_months": r.choice([0, 12, 24, 36]),
            "specs": ";".join(f"{k}={v}" for k, v in specs.items()),
            "description": f"{brand}{name}，原厂正品，含税含运费，开具增值税专用发票",
            "cert_kind": None, "cert_number": None, "cert_certifier": None,
            "cert_valid_until": None,
        }
        if row["market_price"] is not None:
            row["market_price_source"] = r.choice(["京东自营", "品牌官网", "天猫旗舰店"])
        if green:
            energy = code != "A05010301" and (code != "A05040101")
            row.update(cert_kind="节能" if energy else "环境标志",
                       cert_number=(f"CQC{r.randrange(10**10, 10**11)}" if energy
                                    else f"CEC{today.year}ELP{r.randrange(10**5, 10**6)}"),
                       cert_certifier="中国质量认证中心" if energy else "中环联合（北京）认证中心有限公司",
                       cert_valid_until=date(today.year + r.randrange(1, 5), r.randrange(1, 13),
                                             28))
        rows.append(row)
    return rows


def spoil(rows: list[dict], count: int) -> int:
    """Make `count` rows bad (one bad cell each, of varied kinds); returns the bad cells."""
    kinds = [("price", "-15"), ("price", "12.345"), ("stock", "十件"),
             ("delivery_regions", "浙江省"), ("category_code", "A99999999"),
             ("cert_kind", "绿色"), ("specs", "CPU"), ("lead_time_days", "3.5")]
    step = max(1, len(rows) // count)
    for j in range(count):
        key, value = kinds[j % len(kinds)]
        row = rows[j * step + 1]
        row[key] = value
        if key == "cert_kind" and not row["cert_number"]:  # a whole certificate, bad kind
            row.update(cert_number="CQC12345678901", cert_certifier="中国质量认证中心",
                       cert_valid_until=date(date.today().year + 2, 6, 30))
    return count


def fresh_database() -> tuple[str, str | None]:
    url = os.environ.get("DATABASE_URL")
    if url:
        return url, None
    tmp = tempfile.mkdtemp(prefix="mall-bench-")
    return f"sqlite:///{tmp}/bench.db", tmp


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--bad", type=int, default=300, help="bad rows in the report-only run")
    args = parser.parse_args(argv)

    url, _tmp = fresh_database()
    engine = make_engine(url)
    if "offers" in inspect(engine).get_table_names():
        with engine.connect() as conn:
            if conn.scalar(select(func.count()).select_from(Offer)):
                sys.exit("DATABASE_URL 指向的数据库已有商品数据；基准测试需要一个一次性的空数据库")
    migrate.upgrade(url)
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    with session_scope(factory) as session:
        load_categories(session)
        base = f"91330106MA{random.randrange(10**6, 10**7):07d}"
        supplier = registration.register(
            session, None, uscc=base + uscc.calc_check_digit(base), name="杭州政采办公用品有限公司",
            region_code="330106", size="small", contact_name="王经理",
            contact_phone="13900000000", bank_name="中国工商银行", bank_account="1202000000000001")
        supplier_status.transition(session, None, supplier.id, "approve")
        user = create_user(session, None, username=f"bench{supplier.id}",
                           display_name="上传员", role="supplier", password="Passw0rd!bench",
                           supplier_id=supplier.id)
    print(f"database: {engine.dialect.name} ({engine.url.render_as_string(hide_password=True)})")

    t0 = time.perf_counter()
    rows = make_rows(args.rows)
    content = upload.to_xlsx(rows)
    print(f"built {args.rows} rows as XLSX: {len(content) / 1e6:.1f} MB "
          f"in {time.perf_counter() - t0:.2f} s")

    bad_rows = make_rows(args.rows, seed=11)
    planted = spoil(bad_rows, min(args.bad, args.rows))
    bad_content = upload.to_xlsx(bad_rows)
    with factory() as session:
        t0 = time.perf_counter()
        result = upload.upload(session, user, supplier.id, bad_content, "bad.xlsx")
        report_s = time.perf_counter() - t0
        session.rollback()
    assert not result["applied"] and len(result["errors"]) == planted, (
        len(result["errors"]), planted)
    print(f"report only: {args.rows} rows with {planted} bad cells → "
          f"{len(result['errors'])} errors in {report_s:.2f} s (nothing written)")
    print("  e.g. " + "; ".join(f"第{e['row']}行 {e['column']}: {e['message']}"
                                for e in result["errors"][:3]))

    t_parse = time.perf_counter()
    parsed = upload.parse(content, "offers.xlsx")
    t_parse = time.perf_counter() - t_parse
    with factory() as session:
        t0 = time.perf_counter()
        result = upload.upload(session, user, supplier.id, content, "offers.xlsx")
        session.commit()
        seconds = time.perf_counter() - t0
        created = result["created"]
    assert result["applied"] and created == args.rows == len(parsed), result.get("errors")[:3]
    with factory() as session:
        offers_n = session.scalar(select(func.count()).select_from(Offer))
        events = session.scalar(select(func.count()).select_from(AuditEvent)
                                .where(AuditEvent.action.in_(["offer.create", "offer.submit"])))
    print(f"parse alone: {t_parse:.2f} s")
    print(f"upload (parse + validate + apply + commit): {created} offers in {seconds:.2f} s "
          f"= {created / seconds:,.0f} rows/s; offers in db {offers_n}, audit events {events}")
    figures = {"rows": args.rows, "rows_per_s": round(created / seconds, 1),
               "seconds": round(seconds, 3), "database": engine.dialect.name}
    engine.dispose()
    print(json.dumps(figures, ensure_ascii=False))
    return figures


if __name__ == "__main__":
    main()

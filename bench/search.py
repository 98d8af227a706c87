"""Benchmark of search (商品检索): index build throughput and query latency with facets.

    .venv/bin/python bench/search.py [--offers 200000] [--queries 1200]

Builds a fresh SQLite catalogue of N active offers with realistic Chinese titles (about
20 categories of office, IT, appliance and 832 farm goods, ~300 suppliers, several offers
per product, green certificates), then:
1. indexes it with `search.sync.reindex` — the code path of `mall reindex` (database →
   documents → jieba/pinyin analysis → index) — and prints offers/s;
2. runs a fixed mix of queries (Chinese words, pinyin and initials, synonyms, two-word
   queries, filters, sorts, page 2), each through `search.web.run` exactly as the
   /api/v1/search endpoint does (argument schema, query building, search with every
   facet, grouping, priority slots, presentation), as a buyer; prints p50/p95/p99 of
   wall-clock time and of CPU time (the machine may be shared: both are shown);
3. runs the same texts as raw FTS5 SQL (MATCH … ORDER BY rank LIMIT 20, no filters, no
   facets, no grouping) as a baseline, and the ratio between the two p95s.
The last line is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert, select  # noqa: E402
from stdnum.cn import uscc  # noqa: E402

from catalog.categories import load_categories  # noqa: E402
from catalog.models import Category, Certificate, Offer, Product  # noqa: E402
from mall import migrate  # noqa: E402
from mall.accounts import create_user  # noqa: E402
from mall.app import create_app  # noqa: E402
from mall.config import Config  # noqa: E402
from mall.db import session_scope  # noqa: E402
from orders import budget  # noqa: E402
from search import analysis, sync, web  # noqa: E402
from search.embedded import _fts_expression  # noqa: E402
from search.schemas import SearchArgs  # noqa: E402
from suppliers.counties import counties_832  # noqa: E402
from suppliers.models import Supplier  # noqa: E402


def _pick(r, *options):
    return r.choice(options)


# category code → (product word, brands with model stems, title extras, price range CNY)
LINES = {
    "A02010105": ("台式计算机", {"联想": ["启天M437", "扬天M4000q", "开天M740J"],
                               "华为": ["擎云B730E", "MateStation B520"], "惠普": ["战99", "ProDesk 480"],
                               "戴尔": ["OptiPlex 7010", "成就3710"], "清华同方": ["超越E500"],
                               "长城": ["世恒DF7"]},
                  lambda r: f"{_pick(r, 'i5-12400', 'i7-12700', '兆芯KX-U6780A', '海光3250')} "
                            f"{_pick(r, '8G', '16G', '32G')}/{_pick(r, '512G固态', '1T固态')} "
                            f"{_pick(r, '23.8英寸显示器', '21.5英寸显示器', '')}", (3200, 9800)),
    "A02010108": ("便携式计算机", {"联想": ["ThinkPad E14", "昭阳K4e"], "华为": ["MateBook D14", "擎云L540"],
                                "惠普": ["战66", "EliteBook 640"], "戴尔": ["Latitude 5440", "成就3420"]},
                  lambda r: f"笔记本电脑 {_pick(r, 'i5-1335U', 'R5-7530U', 'i7-1360P')} "
                            f"{_pick(r, '16G', '32G')} {_pick(r, '14英寸', '15.6英寸')}", (3900, 12000)),
    "A02010104": ("服务器", {"浪潮": ["NF5280M6", "NF5270M6"], "华为": ["FusionServer 2288H"],
                           "新华三": ["UniServer R4900"], "联想": ["ThinkSystem SR650"]},
                  lambda r: f"机架式 {_pick(r, '双路', '单路')} {_pick(r, '64G', '128G')}内存",
                  (18000, 90000)),
    "A02021003": ("A4黑白打印机", {"惠普": ["LaserJet M404dn", "M208dw"], "奔图": ["P3305DN", "M6202"],
                               "兄弟": ["HL-2260D"], "得力": ["P2500DNW"], "佳能": ["LBP913w"]},
                  lambda r: f"黑白激光打印机 {_pick(r, '自动双面', '无线网络', '有线网络')}", (800, 3600)),
    "A02021004": ("A4彩色打印机", {"惠普": ["Color LaserJet M255dw"], "佳能": ["LBP623Cdw"],
                               "爱普生": ["L4268", "L6278"], "兄弟": ["HL-L3228CDW"]},
                  lambda r: f"彩色{_pick(r, '激光', '喷墨')}打印机 {_pick(r, '无线', '双面')}",
                  (1200, 5200)),
    "A02020400": ("多功能一体机", {"惠普": ["M429fdw"], "佳能": ["MF269dw"], "奔图": ["M7160DW"],
                                "兄弟": ["MFC-7895DW"]}, lambda r: "打印复印扫描一体机", (1500, 6000)),
    "A02020200": ("投影仪", {"爱普生": ["CB-X06", "CB-FH52"], "明基": ["E580"], "索尼": ["VPL-EX435"]},
                  lambda r: f"投影机 {_pick(r, '3600流明', '4000流明')} 会议室", (2600, 9000)),
    "A02061804": ("空调机", {"格力": ["KFR-35GW", "KFR-72LW"], "美的": ["KFR-35GW/N8", "KFR-51LW"],
                           "海尔": ["KFR-35GW/05", "KFR-72LW/03"]},
                  lambda r: f"{_pick(r, '挂式', '柜式')}空调 {_pick(r, '1.5匹', '3匹', '2匹')} "
                            f"{_pick(r, '一级能效', '二级能效')} 变频", (2600, 9900)),
    "A02061801": ("电冰箱", {"海尔": ["BCD-470", "BCD-216"], "美的": ["BCD-508"], "容声": ["BCD-529"]},
                  lambda r: f"冰箱 {_pick(r, '双门', '三门', '十字对开门')} 风冷无霜", (1500, 6500)),
    "A02091001": ("电视机", {"海信": ["65E3H", "75E5K"], "TCL": ["65V8E"], "小米": ["EA65"],
                           "创维": ["65A33"]}, lambda r: f"{_pick(r, '55英寸', '65英寸', '75英寸')} 4K液晶电视",
                  (2200, 9000)),
    "A05040101": ("复印纸", {"得力": ["7401", "ZF6001"], "晨光": ["APYVPB01", "APYVQ959"],
                           "齐心": ["C5001", "C7001"], "亚太森博": ["百旺"], "金光": ["金旗舰"]},
                  lambda r: f"{_pick(r, 'A4', 'A3')} {_pick(r, '70g', '80g')} "
                            f"{_pick(r, '500张/包 8包/箱', '500张/包 5包/箱')}", (120, 260)),
    "A05040201": ("鼓粉盒", {"惠普": ["CF226A", "W1510A"], "格之格": ["NT-PH226"], "天威": ["TW-228A"]},
                  lambda r: f"硒鼓 {_pick(r, '黑色', '大容量')} 适用激光打印机", (90, 900)),
    "A05040402": ("笔", {"得力": ["S01", "33388"], "晨光": ["K35", "GP1008"], "真彩": ["V5"]},
                  lambda r: f"{_pick(r, '中性笔', '签字笔', '圆珠笔')} 0.5mm {_pick(r, '黑色', '蓝色')} "
                            f"{_pick(r, '12支/盒', '24支/盒')}", (8, 60)),
    "A05010301": ("办公椅", {"得力": ["91050", "87022"], "晨光": ["AJG99"], "震旦": ["CEO-9"],
                           "永艺": ["XY-2103"]},
                  lambda r: f"{_pick(r, '网布', 'PU皮', '真皮')} {_pick(r, '升降', '固定扶手')} 转椅",
                  (260, 2400)),
    "A05010201": ("办公桌", {"震旦": ["OA-160"], "圣奥": ["SA-1814"], "得力": ["DL-1400"]},
                  lambda r: f"{_pick(r, '1.4米', '1.6米', '1.8米')} {_pick(r, '钢木', '板式')}", (600, 4500)),
    "A05010502": ("文件柜", {"得力": ["9323"], "震旦": ["FC-2"], "圣奥": ["WJG-3"]},
                  lambda r: f"{_pick(r, '钢制', '木质')} {_pick(r, '四门', '两门')} 带锁", (500, 2600)),
}
# Farm goods sold in the 832 馆 by suppliers of the 832 counties.
FARM = {
    "A07030101": ("大米", ["五常稻花香", "有机大米", "高山生态米", "富硒大米", "长粒香米"],
                  lambda r: _pick(r, "5kg", "10kg", "25kg"), (40, 260)),
    "A07030102": ("面粉", ["高筋小麦粉", "石磨全麦粉", "饺子专用粉"],
                  lambda r: _pick(r, "5kg", "10kg"), (25, 120)),
    "A07030103": ("玉米", ["黄糯玉米", "甜玉米", "玉米糁"], lambda r: _pick(r, "2.5kg", "5kg"), (20, 90)),
    "A07030200": ("土豆", ["高原马铃薯", "紫薯", "红薯"], lambda r: _pick(r, "5kg", "10kg"), (20, 80)),
    "A07030300": ("食用油", ["压榨菜籽油", "山茶油", "花生油", "核桃油"],
                  lambda r: _pick(r, "5L", "2.5L", "1L"), (40, 400)),
    "A07030400": ("杂粮", ["红小豆", "绿豆", "黑豆", "小米"], lambda r: _pick(r, "1kg", "2.5kg"), (15, 90)),
    "A07060000": ("土特产", ["高山云雾茶", "土蜂蜜", "香菇干", "木耳", "腊肉"],
                  lambda r: _pick(r, "500g", "250g礼盒", "1kg"), (30, 600)),
}
SIZES = ["large"] * 1 + ["medium"] * 3 + ["small"] * 4 + ["micro"] * 2
REGIONS = [["*"], ["33"], ["3301", "3302"], ["11", "12", "13"], ["44", "45"], ["32", "31"]]
GREEN_LINES = {"A02010105", "A02010108", "A02010104", "A02021003", "A02021004", "A02020400",
               "A02020200", "A02061804", "A02061801", "A02091001", "A05040101", "A05010301"}


def build_catalogue(factory, offers: int, seed: int = 20261121) -> dict:
    """Insert suppliers, products, offers and certificates with plain multi-row INSERTs."""
    r = random.Random(seed)
    now = datetime.now(UTC)
    with session_scope(factory) as s:
        load_categories(s)
        cat_ids = dict(s.execute(select(Category.code, Category.id)).tuples().all())
        counties = list(counties_832())
        suppliers = []
        for i in range(300):
            farm = i < 60
            region = r.choice(counties) if farm else r.choice(["330106", "330102", "320102",
                                                                "110105", "440305", "310115"])
            base = f"91{region}MA{i:07d}"
            suppliers.append({
                "uscc": base + uscc.calc_check_digit(base),
                "name": (f"{counties_832()[region].county}{r.choice(['天源', '绿野', '山里', '丰禾'])}"
                         f"农业发展有限公司{i}") if farm else
                        f"{r.choice(['杭州', '南京', '北京', '深圳', '上海'])}"
                        f"{r.choice(['联创', '华信', '中科', '博远', '金桥'])}科技有限公司{i}",
                "region_code": region, "size": "micro" if farm and i % 2 else r.choice(SIZES),
                "is_832": farm, "contact_name": "王经理", "contact_phone": "13900000000",
                "bank_name": "中国工商银行", "bank_account": f"1202{i:012d}", "status": "active",
                "created_at": now})
        s.execute(insert(Supplier), suppliers)
        supplier_ids = list(s.scalars(select(Supplier.id).order_by(Supplier.id)))
        farm_ids, trade_ids = supplier_ids[:60], supplier_ids[60:]
        products, offer_rows, certs = [], [], []
        pid = 0
        while len(offer_rows) < offers:
            pid += 1
            is_farm = r.random() < 0.08
            if is_farm:
                code = r.choice(list(FARM))
                word, kinds, extra, (lo, hi) = FARM[code]
                county = counties_832()[r.choice(list(counties_832()))]
                brand = f"{county.county[:2]}{r.choice(['山珍', '农家', '原生态', '高原'])}"
                model = f"{r.choice(kinds)}-{pid}"
                title = f"{county.province}{county.county} {brand} {model.split('-')[0]} {extra(r)}"
                sellers = r.sample(farm_ids, r.randint(1, 2))
            else:
                code = r.choice(list(LINES))
                word, brands, extra, (lo, hi) = LINES[code]
                brand = r.choice(list(brands))
                model = f"{r.choice(brands[brand])}-{pid:06d}"
                title = f"{brand} {model} {word} {extra(r)}".strip()
                sellers = r.sample(trade_ids, r.randint(1, 5))
            products.append({"id": pid, "category_id": cat_ids[code], "brand": brand,
                             "model": model, "match_key": f"{brand}|{model}".lower(),
                             "name": title, "specs": {"型号": model}, "description": "",
                             "images": [], "created_at": now})
            base_price = r.randrange(lo * 100, hi * 100)
            green = code in GREEN_LINES and r.random() < 0.3
            for sup in sellers:
                oid = len(offer_rows) + 1
                price = Decimal(int(base_price * r.uniform(0.92, 1.1))) / 100
                offer_rows.append({
                    "id": oid, "product_id": pid, "supplier_id": sup, "title": title,
                    "price": max(price, Decimal("1.00")), "market_price": None, "stock":
                    r.choice([0, 5, 50, 200, 1000]), "min_order_qty": 1,
                    "delivery_regions": r.choice(REGIONS) if not is_farm else ["*"],
                    "lead_time_days": 3, "warranty_months": 12, "claims_green": green,
                    "status": "active", "version": 1, "sales_count": r.randrange(0, 2000),
                    "created_at": now - timedelta(days=r.randrange(0, 365)),
                    "updated_at": now})
                if green:
                    energy = not code.startswith("A05")
                    certs.append({"offer_id": oid, "kind": "energy" if energy else "environment",
                                  "number": f"CQC{oid:011d}",
                                  "certifier": "中国质量认证中心" if energy else "中环联合（北京）认证中心有限公司",
                                  "scope": "", "valid_until": date(2026 + r.randrange(0, 4), 12, 31)})
                if len(offer_rows) >= offers:
                    break
        for table, rows in ((Product, products), (Offer, offer_rows), (Certificate, certs)):
            for start in range(0, len(rows), 5000):
                s.execute(insert(table), rows[start:start + 5000])
        unit = budget.create_unit(s, None, code="BENCH0001", name="杭州市教育局", region_code="330106",
                                  level="municipal")
        buyer = create_user(s, None, username="benchbuyer", display_name="采购员", role="buyer",
                            password="Passw0rd!bench", budget_unit_id=unit.id)
        return {"products": len(products), "offers": len(offer_rows), "certificates": len(certs),
                "buyer_id": buyer.id}


def query_mix(n: int, seed: int = 7) -> list[dict]:
    """A fixed, varied mix of API query arguments (every one computes all facets)."""
    r = random.Random(seed)
    words = ["台式计算机", "笔记本", "服务器", "打印机", "复印纸", "空调", "冰箱", "电视", "投影仪",
             "办公椅", "文件柜", "硒鼓", "中性笔", "大米", "食用油", "蜂蜜", "一体机", "办公桌"]
    brands = ["联想", "华为", "惠普", "得力", "晨光", "格力", "美的", "海尔", "戴尔", "佳能", "浪潮"]
    pinyin = ["lianxiang", "lx", "huawei", "hw", "dayinji", "dyj", "fuyinzhi", "kongtiao", "geli",
              "dami", "bingxiang", "deli"]
    synonyms = ["电脑", "台式机", "打印纸", "投影机", "笔记本电脑", "空调机"]
    two = [f"{b} {w}" for b, w in [("联想", "台式机"), ("华为", "笔记本"), ("惠普", "打印机"),
                                   ("得力", "A4"), ("格力", "空调"), ("海尔", "冰箱"),
                                   ("五常", "大米"), ("有机", "大米"), ("彩色", "打印机")]]
    categories = ["A02010100", "A02010105", "A02021000", "A05040101", "A07030000", "A05010300"]
    out = []
    for i in range(n):
        kind = i % 10
        if kind < 3:
            args = {"q": r.choice(words + brands)}
        elif kind < 5:
            args = {"q": r.choice(pinyin)}
        elif kind == 5:
            args = {"q": r.choice(synonyms)}
        elif kind == 6:
            args = {"q": r.choice(two)}
        else:
            args = {"q": r.choice(words + brands + two)}
            extra = r.choice(["category", "price", "832", "green", "stock", "brand", "sort",
                              "page", "deliverable", "size"])
            if extra == "category":
                args["category"] = r.choice(categories)
            elif extra == "price":
                lo = r.choice([0, 100, 500, 1000, 3000])
                args.update(price_min=str(lo), price_max=str(lo * 3 + 500))
            elif extra == "832":
                args.update(is_832="true", q=r.choice(["大米", "食用油", "蜂蜜", "杂粮", "茶"]))
            elif extra == "green":
                args["green"] = "true"
            elif extra == "stock":
                args["in_stock"] = "true"
            elif extra == "brand":
                args["brand"] = [r.choice(brands)]
            elif extra == "sort":
                args["sort"] = r.choice(["price_asc", "price_desc", "sales", "newest"])
            elif extra == "page":
                args["page"] = "2"
            elif extra == "deliverable":
                args["deliverable"] = "true"
            else:
                args["size"] = [r.choice(["small", "micro"])]
        out.append(args)
    return out


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[k] * 1000


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--offers", type=int, default=200_000)
    parser.add_argument("--queries", type=int, default=1200)
    args = parser.parse_args(argv)

    tmp = Path(tempfile.mkdtemp(prefix="mall-bench-search-"))
    url = f"sqlite:///{tmp}/bench.db"
    migrate.upgrade(url)
    app = create_app(Config.from_env(database_url=url, instance_path=tmp / "instance",
                                     search_backend="embedded"))
    factory = app.extensions["mall.session_factory"]
    t0 = time.perf_counter()
    made = build_catalogue(factory, args.offers)
    print(f"catalogue: {made['offers']:,} offers of {made['products']:,} products, "
          f"{made['certificates']:,} certificates, built in {time.perf_counter() - t0:.1f} s")

    backend = app.extensions["search.backend"]()
    t0, c0 = time.perf_counter(), time.process_time()
    indexed = sync.reindex(factory, backend)
    index_s, index_cpu = time.perf_counter() - t0, time.process_time() - c0
    print(f"index: {indexed:,} documents in {index_s:.1f} s = {indexed / index_s:,.0f} offers/s "
          f"(database → documents → jieba/pinyin → FTS5, as `mall reindex`); "
          f"CPU {index_cpu:.1f} s = {indexed / index_cpu:,.0f} offers per CPU-second")

    mix = query_mix(args.queries)
    schema = SearchArgs()
    latencies: list[float] = []
    cpu: list[float] = []
    totals = []
    with app.test_request_context("/api/v1/search"), factory() as session:
        from mall.accounts import User

        buyer = session.get(User, made["buyer_id"])
        for warm in mix[:20]:
            web.run(session, schema.load(warm), buyer)
        for query in mix:
            t, c = time.perf_counter(), time.process_time()
            data, _ = web.run(session, schema.load(query), buyer)
            latencies.append(time.perf_counter() - t)
            cpu.append(time.process_time() - c)
            totals.append(data["total_offers"])
    p50, p95, p99 = (pct(latencies, p) for p in (50, 95, 99))
    print(f"queries: {len(mix)} with facets, grouping and slots via search.web.run: "
          f"p50 {p50:.1f} ms, p95 {p95:.1f} ms, p99 {p99:.1f} ms, max {max(latencies) * 1000:.1f} ms"
          f"; median matches {statistics.median(totals):,.0f} offers")
    cpu_p95 = pct(cpu, 95)
    load = os.getloadavg()[0]
    print(f"  CPU time per query: p50 {pct(cpu, 50):.1f} ms, p95 {cpu_p95:.1f} ms "
          f"(wall-clock figures include waiting for the CPU: load average {load:.1f} "
          f"on {os.cpu_count()} cores)")

    index_file = backend.directory / backend._current_name()
    raw = sqlite3.connect(index_file)
    raw_lat = []
    for query in mix:
        t = time.perf_counter()
        expr = _fts_expression(analysis.parse(query["q"], backend.synonyms))
        raw.execute("SELECT rowid FROM fts WHERE fts MATCH ? ORDER BY rank LIMIT 20",
                    (expr,)).fetchall()
        raw_lat.append(time.perf_counter() - t)
    raw_p95 = pct(raw_lat, 95)
    print(f"raw FTS5 (same texts, MATCH … ORDER BY rank LIMIT 20, no filters/facets): "
          f"p50 {pct(raw_lat, 50):.1f} ms, p95 {raw_p95:.1f} ms; ratio p95 {p95 / raw_p95:.1f}×")
    figures = {"offers": indexed, "index_per_s": round(indexed / index_s, 1),
               "p50_ms": round(p50, 2), "p95_ms": round(p95, 2), "p99_ms": round(p99, 2),
               "raw_p95_ms": round(raw_p95, 2), "ratio_p95": round(p95 / raw_p95, 2),
               "queries": len(mix), "backend": backend.name,
               "index_per_cpu_s": round(indexed / index_cpu, 1), "cpu_p95_ms": round(cpu_p95, 2),
               "load_avg": round(load, 1)}
    print(json.dumps(figures, ensure_ascii=False))
    return figures


if __name__ == "__main__":
    main()

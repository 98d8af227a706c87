"""Bulk upload of offers (catalog/upload.py): templates, parsing, the per-cell error report,
and bulk creation — including a 10,000-row file."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from catalog import offers, upload
from catalog.models import Certificate, Offer, OfferVersion, Product
from mall.audit import AuditEvent
from mall.errors import Conflict, Forbidden, ValidationFailed
from suppliers import status as supplier_status
from tests import factories

CHINESE = re.compile(r"[\u4e00-\u9fff]")


def strip_row(rows: list[dict]) -> list[dict]:
    return [{k: v for k, v in r.items() if k != "_row"} for r in rows]


def count(db, model, *where) -> int:
    return db.scalar(select(func.count()).select_from(model).where(*where))


def counts(db) -> dict:
    return {m.__name__: count(db, m) for m in (Offer, Product, Certificate, OfferVersion,
                                               AuditEvent)}


@pytest.fixture
def seller(db):
    """An active supplier and its user."""
    supplier = factories.supplier(db)
    return supplier, factories.user(db, "supplier", supplier_id=supplier.id)


def row(**changes) -> dict:
    """The first template example (a desktop with an energy certificate), changed."""
    return {**upload.example_rows()[0], **changes}


def paper(model: str = "7401", **changes) -> dict:
    """The second template example (copy paper, no certificate), changed."""
    return {**upload.example_rows()[1], "model": model, **changes}


# ------------------------------------------------------------------ templates and parsing

def test_templates_parse_back_to_their_example_rows():
    examples = upload.example_rows()
    from_xlsx = upload.parse(upload.template_xlsx(), "模板.xlsx")
    from_csv = upload.parse(upload.template_csv(), "模板.csv")
    assert strip_row(from_xlsx) == examples
    assert strip_row(from_csv) == examples
    assert [r["_row"] for r in from_xlsx] == [r["_row"] for r in from_csv] == [2, 3]


def test_template_csv_has_a_bom_and_the_chinese_header():
    content = upload.template_csv()
    assert content.startswith(b"\xef\xbb\xbf")
    header = content.decode("utf-8-sig").splitlines()[0].split(",")
    assert header[:5] == ["品目编码", "品牌", "型号", "商品标题", "单价(元)"]
    assert len(header) == len(upload.COLUMNS)


def test_template_rows_validate_and_apply_like_create_offer(db, seller):
    supplier, user = seller
    result = upload.upload(db, user, supplier.id, upload.template_xlsx(), "模板.xlsx")
    assert result["applied"] is True and result["errors"] == []
    assert result["created"] == 2
    desktop, paper_offer = (db.get(Offer, i) for i in result["offer_ids"])
    assert desktop.status == paper_offer.status == "pending"
    assert desktop.price == Decimal("4299.00") and paper_offer.price == Decimal("189.50")
    assert paper_offer.delivery_regions == ["3201", "33"]
    assert desktop.delivery_regions == [offers.NATIONWIDE]
    assert desktop.product.specs["内存"] == "16GB DDR4"
    assert desktop.claims_green is True and paper_offer.claims_green is False
    [cert] = desktop.certificates
    assert (cert.kind, cert.number, cert.certifier) == ("energy", "CQC24701412345",
                                                        "中国质量认证中心")
    assert paper_offer.certificates == []
    # the version and the audit trail hold what offers.snapshot() gives for the new offer
    [version] = offers.versions(db, desktop.id)
    assert (version.number, version.state, version.changed_by) == (1, "applied", user.id)
    assert version.data == offers.snapshot(desktop)
    events = db.scalars(select(AuditEvent).where(AuditEvent.entity_type == "offer",
                                                 AuditEvent.entity_id == str(desktop.id))
                        .order_by(AuditEvent.id)).all()
    assert [e.action for e in events] == ["offer.create", "offer.submit"]
    assert events[0].after == offers.snapshot(desktop)
    assert events[1].before == {"status": "draft"} and events[1].after["status"] == "pending"
    assert {e.actor_id for e in events} == {user.id}


def test_csv_without_bom_and_xlsx_both_parse():
    rows = [paper("A1"), paper("A2", price="19.9", stock="7")]
    csv_plain = upload.to_csv(rows).decode("utf-8-sig").encode("utf-8")
    assert not csv_plain.startswith(b"\xef\xbb\xbf")
    for content, name in ((csv_plain, "a.csv"), (upload.to_csv(rows), "b.csv"),
                          (upload.to_xlsx(rows), "c.xlsx")):
        parsed = upload.parse(content, name)
        assert [(r["model"], r["price"], r["stock"], r["_row"]) for r in parsed] == [
            ("A1", "189.5", "5000", 2), ("A2", "19.9", "7", 3)], name


def test_gbk_csv_from_excel_is_accepted():
    content = upload.to_csv([paper("G1")]).decode("utf-8-sig").encode("gbk")
    [parsed] = upload.parse(content, "excel.csv")
    assert parsed["brand"] == "得力" and parsed["specs"].startswith("规格=A4")


def test_headers_may_carry_the_key_be_reordered_and_skip_optional_columns():
    header = ["品牌(brand)", "category_code", "*型号", "商品标题（title）", "单价（元）", "库存",
              "配送区域", "供货周期(天)", "质保(月)", "规格参数"]
    content = ("\n".join([",".join(header),
                          "晨光,A05040101,APYVPB01,晨光 A4 复印纸 70g,25.80,100,全国,2,0,规格=A4"])
               ).encode()
    [parsed] = upload.parse(content, "x.csv")
    assert parsed["brand"] == "晨光" and parsed["category_code"] == "A05040101"
    assert parsed["model"] == "APYVPB01" and parsed["price"] == "25.80"
    assert parsed["min_order_qty"] == "" and parsed["cert_kind"] == ""


def test_blank_rows_are_skipped_but_row_numbers_stay_those_of_the_sheet():
    wb = Workbook()
    ws = wb.active
    ws.append([upload.LABELS[k] for k in upload.KEYS])
    ws.append([])
    ws.append([paper("B1")[k] for k in upload.KEYS])
    ws.append([None] * 5)
    ws.append([paper("B2")[k] for k in upload.KEYS])
    wb.create_sheet("第二页").append(["不读取"])
    buf = io.BytesIO()
    wb.save(buf)
    parsed = upload.parse(buf.getvalue(), "gaps.xlsx")
    assert [(r["model"], r["_row"]) for r in parsed] == [("B1", 3), ("B2", 5)]


def xls_like() -> bytes:
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100


@pytest.mark.parametrize(("content", "name", "fragment"), [
    (b"", "a.csv", "文件为空"),
    ("品目编码,品牌,型号,商品标题,单价(元),库存,配送区域,供货周期(天),质保(月),规格参数\n".encode(),
     "a.csv", "没有商品数据"),
    (b"\n\n", "a.csv", "文件为空"),
    ("名称,价格\n笔,1\n".encode(), "a.csv", "无法识别的表头"),
    ("品目编码,品牌,型号,商品标题\nA05040101,得力,1,纸\n".encode(), "a.csv", "缺少必填列"),
    ("品目编码,品牌,品牌\n".encode(), "a.csv", "列重复"),
    (xls_like(), "old.xls", ".xls"),
    (b"PK\x03\x04 this is not really a zip", "a.xlsx", "无法读取"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "photo.png", "无法识别的文件格式"),
    (b"plain text", "a.xlsx", "不是有效的 Excel"),
])
def test_unreadable_files_are_refused_with_a_chinese_message(content, name, fragment):
    with pytest.raises(ValidationFailed) as info:
        upload.parse(content, name)
    assert info.value.code == "upload_unreadable"
    assert fragment in info.value.message and CHINESE.search(info.value.message)


def test_more_than_20000_rows_is_too_large():
    head = "品目编码,品牌,型号,商品标题,单价(元),库存,配送区域,供货周期(天),质保(月),规格参数\n"
    lines = [f"A05040101,得力,M{i},纸,1,1,全国,1,0,规格=A4\n" for i in range(upload.MAX_ROWS)]
    assert len(upload.parse((head + "".join(lines)).encode(), "max.csv")) == upload.MAX_ROWS
    lines.append("A05040101,得力,M-extra,纸,1,1,全国,1,0,规格=A4\n")
    with pytest.raises(ValidationFailed) as info:
        upload.parse((head + "".join(lines)).encode(), "big.csv")
    assert info.value.code == "upload_too_large" and "20000" in info.value.message


# ------------------------------------------------------------------ the error report

BAD_CELLS = [
    ("category_code", "A99999999", "品目编码“A99999999”不存在"),
    ("category_code", "", "请填写品目编码"),
    ("brand", "", "请填写品牌"),
    ("brand", "--", "品牌不能只含空格或符号"),
    ("model", "", "请填写型号"),
    ("title", "长" * 201, "长度应在 1 到 200 个字符之间"),
    ("price", "0", "单价应大于 0 元"),
    ("price", "-3", "单价应大于 0 元"),
    ("price", "12.345", "单价最多两位小数"),
    ("price", "十元", "单价应为数字"),
    ("price", "", "请填写单价"),
    ("market_price", "-1", "市场参考价应大于 0 元"),
    ("stock", "10.5", "库存应为整数"),
    ("stock", "很多", "库存应为整数"),
    ("stock", "-1", "库存应为 0 到 99999999 之间的整数"),
    ("min_order_qty", "0", "起订量应为 1 到 99999999 之间的整数"),
    ("delivery_regions", "浙江", "配送区域“浙江”应为 2、4 或 6 位行政区划代码"),
    ("delivery_regions", "33,330", "配送区域“330”应为 2、4 或 6 位行政区划代码"),
    ("delivery_regions", "", "请填写配送区域"),
    ("lead_time_days", "三天", "供货周期应为整数"),
    ("warranty_months", "999", "质保月数应为 0 到 120 之间的整数"),
    ("specs", "CPU", "规格参数“CPU”应为 键=值 格式"),
    ("specs", "CPU=i5;CPU=i7", "规格参数“CPU”重复"),
    ("specs", "", "请填写规格参数"),
    ("cert_kind", "绿色", "认证类型应为“节能”或“环境标志”"),
    ("cert_valid_until", "2027-02-30", "不是有效日期"),
    ("cert_valid_until", "明年", "不是有效日期"),
    ("cert_valid_until", "2020-01-31", "证书已于 2020-01-31 过期"),
    ("cert_number", "", "须同时填写证书编号"),
]


@pytest.mark.parametrize(("column", "value", "message"), BAD_CELLS,
                         ids=[f"{c}={v[:12]!r}" for c, v, _ in BAD_CELLS])
def test_each_bad_cell_is_reported_with_row_column_and_message(db, seller, column, value,
                                                               message):
    supplier, _user = seller
    content = upload.to_csv([paper("OK-1"), row(**{column: value})])
    report = upload.validate(db, supplier.id, upload.parse(content, "x.csv"))
    assert [(e["row"], e["column"]) for e in report.errors] == [(3, column)]
    assert message in report.errors[0]["message"]
    assert CHINESE.search(report.errors[0]["message"])
    assert [r["row"] for r in report.valid] == [2]


def test_every_bad_cell_of_a_row_is_reported_not_only_the_first(db, seller):
    supplier, _user = seller
    bad = row(price="abc", stock="-1", delivery_regions="", specs="内存",
              cert_certifier="", cert_valid_until="")
    report = upload.validate(db, supplier.id, upload.parse(upload.to_xlsx([bad]), "x.xlsx"))
    assert [(e["row"], e["column"]) for e in report.errors] == [
        (2, "price"), (2, "stock"), (2, "delivery_regions"), (2, "specs"),
        (2, "cert_certifier"), (2, "cert_valid_until")]
    assert report.error_rows == 1 and report.valid == []


def test_cleaned_rows_have_typed_values(db, seller):
    supplier, _user = seller
    rows = [row(price="¥4,299.00", delivery_regions="33， 3301；11"),
            paper("C1", cert_valid_until="")]
    report = upload.validate(db, supplier.id, upload.parse(upload.to_csv(rows), "x.csv"))
    assert report.errors == []
    desktop, paper_row = report.valid
    assert desktop["price"] == Decimal("4299.00") and desktop["market_price"] == Decimal("4599")
    assert desktop["delivery_regions"] == ["11", "33", "3301"]
    assert desktop["stock"] == 200 and desktop["warranty_months"] == 36
    assert desktop["specs"]["CPU"] == "Intel 酷睿 i5-12400"
    assert desktop["certificate"]["kind"] == "energy"
    assert desktop["certificate"]["valid_until"] == date.fromisoformat(
        upload.example_rows()[0]["cert_valid_until"])
    assert paper_row["certificate"] is None and paper_row["min_order_qty"] == 2


def test_excel_style_certificate_dates_are_understood(db, seller):
    supplier, _user = seller
    year = date.today().year + 2
    for text in (f"{year}/6/30", f"{year}年6月30日", f"{year}.06.30"):
        report = upload.validate(db, supplier.id, [row(cert_valid_until=text)])
        assert report.errors == [], text
        assert report.valid[0]["certificate"]["valid_until"] == date(year, 6, 30)


def test_a_product_twice_in_the_file_reports_the_later_row(db, seller):
    supplier, _user = seller
    rows = [paper("D-100"), paper("X-1"), paper("d 100", title="同款换个标题")]
    report = upload.validate(db, supplier.id, upload.parse(upload.to_csv(rows), "x.csv"))
    assert [(e["row"], e["column"]) for e in report.errors] == [(4, "model")]
    assert "与第 2 行重复" in report.errors[0]["message"]
    # the same brand and model in another category is another product
    rows[2]["category_code"] = "A05010301"
    assert upload.validate(db, supplier.id, upload.parse(upload.to_csv(rows), "x.csv")
                           ).errors == []


def test_a_product_the_supplier_already_lists_is_refused(db, seller):
    supplier, user = seller
    offers.create_offer(db, user, supplier_id=supplier.id, data={
        "category_code": "A05040101", "brand": "得力", "model": "E-200", "title": "得力复印纸",
        "price": Decimal("100")})
    other = factories.supplier(db)
    report = upload.validate(db, supplier.id, [paper(" e200 "), paper("E-201")])
    assert report.errors == [{"row": 2, "column": "model", "message": "已上架该商品"}]
    # another supplier may offer the same product: it shares the product record
    other_user = factories.user(db, "supplier", supplier_id=other.id)
    result = upload.upload(db, other_user, other.id, upload.to_csv([paper("E 200")]), "o.csv")
    assert result["applied"] and result["created"] == 1
    shared = db.get(Offer, result["offer_ids"][0])
    assert count(db, Offer, Offer.product_id == shared.product_id) == 2


def test_a_delisted_or_rejected_offer_does_not_block_a_new_listing(db, seller):
    supplier, user = seller
    offer = offers.create_offer(db, user, supplier_id=supplier.id, data={
        "category_code": "A05040101", "brand": "得力", "model": "F-1", "title": "得力复印纸",
        "price": Decimal("100")}, submit=True)
    operator = factories.user(db, "operator")
    offers.transition(db, operator, offer.id, "reject", reason_code="other")
    assert upload.validate(db, supplier.id, [paper("F-1")]).errors == []


# ------------------------------------------------------------------ applying

def test_bad_rows_mean_nothing_is_written_unless_valid_rows_are_asked_for(db, seller):
    supplier, user = seller
    rows = [paper("G-1"), paper("G-2", price="-1"), paper("G-3"), row(stock="x"),
            paper("G-5")]
    content = upload.to_xlsx(rows)
    before = counts(db)
    result = upload.upload(db, user, supplier.id, content, "g.xlsx")
    assert result["applied"] is False and result["created"] == 0
    assert (result["valid_rows"], result["error_rows"]) == (3, 2)
    assert [(e["row"], e["column"]) for e in result["errors"]] == [(3, "price"), (5, "stock")]
    assert counts(db) == before

    result = upload.upload(db, user, supplier.id, content, "g.xlsx", apply_valid_rows=True,
                           submit=False)
    assert result["applied"] is True and result["created"] == 3
    assert len(result["errors"]) == 2
    created = db.scalars(select(Offer).where(Offer.id.in_(result["offer_ids"]))).all()
    assert sorted(o.product.model for o in created) == ["G-1", "G-3", "G-5"]
    assert {o.status for o in created} == {"draft"}
    after = counts(db)
    assert after["Offer"] == before["Offer"] + 3
    assert after["AuditEvent"] == before["AuditEvent"] + 3  # offer.create only: no submit
    assert after["OfferVersion"] == before["OfferVersion"] + 3


def test_suspended_supplier_cannot_upload(db, seller):
    supplier, user = seller
    supplier_status.transition(db, None, supplier.id, "suspend", reason_code="quality_failure")
    before = counts(db)
    with pytest.raises(Conflict) as info:
        upload.upload(db, user, supplier.id, upload.template_csv(), "t.csv")
    assert info.value.code == "supplier_not_active" and "暂停交易" in info.value.message
    valid = upload.validate(db, supplier.id, upload.parse(upload.template_csv(), "t.csv")).valid
    with pytest.raises(Conflict):
        upload.apply(db, user, supplier.id, valid)
    assert counts(db) == before


def test_a_supplier_user_cannot_upload_for_another_supplier(db, seller):
    supplier, _user = seller
    stranger = factories.user(db, "supplier")
    with pytest.raises(Forbidden):
        upload.upload(db, stranger, supplier.id, upload.template_csv(), "t.csv")


def test_expired_suspension_allows_upload_again(db, seller):
    supplier, user = seller
    supplier_status.transition(db, None, supplier.id, "suspend", reason_code="other",
                               until=date.today() - timedelta(days=1))
    assert upload.upload(db, user, supplier.id, upload.template_csv(), "t.csv")["created"] == 2


# ------------------------------------------------------------------ 10,000 rows

CATS = [("A02010105", "台式计算机", ["联想", "华为", "惠普", "戴尔"]),
        ("A02010108", "便携式计算机", ["联想", "华为", "惠普", "戴尔"]),
        ("A05040101", "复印纸", ["得力", "晨光", "齐心"]),
        ("A02061804", "空调机", ["格力", "美的", "海尔"]),
        ("A05010301", "办公椅", ["得力", "晨光", "齐心"])]
N = 10_000


def big_rows() -> list[dict]:
    valid_until = date(date.today().year + 2, 12, 31)
    out = []
    for i in range(N):
        code, name, brands = CATS[i % len(CATS)]
        brand = brands[i % len(brands)]
        cert = i % 3 == 0
        out.append({
            "category_code": code, "brand": brand, "model": f"BULK-{i:05d}",
            "title": f"{brand} BULK-{i:05d} {name}", "price": Decimal(100 + i % 900) + Decimal(
                "0.5"), "market_price": None if i % 4 else Decimal(1200),
            "market_price_source": None if i % 4 else "京东自营", "stock": i % 500,
            "min_order_qty": 1, "delivery_regions": "全国" if i % 2 else "33,3201",
            "lead_time_days": 3, "warranty_months": 12, "specs": f"规格=型{i % 7};颜色=黑",
            "description": "", "cert_kind": "节能" if cert else None,
            "cert_number": f"CQC{i:011d}" if cert else None,
            "cert_certifier": "中国质量认证中心" if cert else None,
            "cert_valid_until": valid_until if cert else None})
    return out


# (changes to a row, the columns that must be reported)
PLANTS = [
    ({"price": Decimal("-5")}, ["price"]),
    ({"price": "1.999"}, ["price"]),
    ({"stock": "十"}, ["stock"]),
    ({"delivery_regions": "杭州"}, ["delivery_regions"]),
    ({"category_code": "A00000001"}, ["category_code"]),
    ({"specs": "无等号"}, ["specs"]),
    ({"cert_kind": "节能", "cert_number": None, "cert_certifier": None,
      "cert_valid_until": date(2030, 1, 1)}, ["cert_number", "cert_certifier"]),
    ({"price": "abc", "stock": -1, "lead_time_days": "一周"}, ["price", "stock",
                                                              "lead_time_days"]),
    ("duplicate", ["model"]),
]


@pytest.fixture(scope="module")
def big_files():
    rows = big_rows()
    good = upload.to_xlsx(rows)
    expected, planted_rows = [], set()
    for n, i in enumerate(range(5, N, 33)):
        changes, columns = PLANTS[n % len(PLANTS)]
        if changes == "duplicate":  # the same product as the row above
            rows[i] = {**rows[i], **{k: rows[i - 1][k] for k in ("category_code", "brand",
                                                                   "model")}}
        else:
            rows[i] = {**rows[i], **changes}
        planted_rows.add(i)
        expected += [(i + 2, c) for c in columns]
    return good, upload.to_xlsx(rows), expected, len(planted_rows)


def test_10000_rows_with_bad_rows_report_every_error_and_change_nothing(db, seller,
                                                                          big_files):
    supplier, user = seller
    _good, bad, expected, planted = big_files
    assert planted > 300 and len(expected) > planted
    before = counts(db)
    result = upload.upload(db, user, supplier.id, bad, "bulk.xlsx")
    assert result["applied"] is False
    assert len(result["errors"]) == len(expected)
    assert [(e["row"], e["column"]) for e in result["errors"]] == expected
    assert all(CHINESE.search(e["message"]) for e in result["errors"])
    assert (result["valid_rows"], result["error_rows"]) == (N - planted, planted)
    assert counts(db) == before


def test_10000_rows_without_errors_are_all_applied(db, seller, big_files):
    supplier, user = seller
    good, _bad, _expected, _planted = big_files
    before = counts(db)
    result = upload.upload(db, user, supplier.id, good, "bulk.xlsx")
    assert result["applied"] is True and result["errors"] == []
    assert result["created"] == len(result["offer_ids"]) == len(set(result["offer_ids"])) == N
    assert count(db, Offer, Offer.supplier_id == supplier.id, Offer.status == "pending") == N
    after = counts(db)
    assert after["Offer"] - before["Offer"] == N
    assert after["Product"] - before["Product"] == N
    assert after["OfferVersion"] - before["OfferVersion"] == N
    assert after["Certificate"] - before["Certificate"] == len(range(0, N, 3))
    assert after["AuditEvent"] - before["AuditEvent"] == 2 * N
    # spot-check one offer against the file
    last = db.get(Offer, result["offer_ids"][-1])
    assert (last.product.model, last.price, last.stock) == (
        "BULK-09999", Decimal(100 + 9999 % 900) + Decimal("0.5"), 9999 % 500)
    assert last.product.category.code == CATS[9999 % 5][0]
    assert last.certificates[0].number == "CQC00000009999"
    assert offers.versions(db, last.id)[0].data == offers.snapshot(last)
    # uploading the same file again: every row is already listed, nothing written
    again = upload.upload(db, user, supplier.id, good, "bulk.xlsx")
    assert again["applied"] is False and again["error_rows"] == N
    assert {e["message"] for e in again["errors"]} == {"已上架该商品"}

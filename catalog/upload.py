"""Bulk upload of offers (批量上传) from a CSV or XLSX file.

    content ─parse→ rows (text cells, with their spreadsheet row numbers)
            ─validate→ Report(valid=cleaned rows, errors=[{row, column, message}])
            ─apply→ products, offers, certificates, versions, audit events

`validate` reports every bad cell, not only the first of a row, and reads the database twice
(categories, the supplier's live offers) whatever the number of rows. `apply` writes in
bulk: one round of product look-ups and inserts, then offers, certificates, versions and
audit events in chunks of bulk INSERTs, so 10,000 rows take seconds, not minutes.

`upload` puts them together: with any bad row it writes nothing and returns the error
report, unless the caller asks to apply the valid rows anyway.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal

from marshmallow import ValidationError, fields
from marshmallow import validate as v
from sqlalchemy import JSON, insert, select, text, tuple_
from sqlalchemy.orm import Session

from catalog import offers
from catalog.models import (
    Category,
    Certificate,
    CertificateKind,
    Offer,
    OfferStatus,
    OfferVersion,
    Product,
)
from mall.audit import AuditEvent
from mall.clock import local_today, utcnow
from mall.errors import Conflict, Forbidden, NotFound, ValidationFailed, messages
from mall.money import CENT
from mall.roles import Role
from mall.schemas import Schema, Text
from suppliers.models import Supplier
from suppliers.status import can_trade

MAX_ROWS = 20_000
CHUNK = 1_000  # rows per bulk INSERT round
LIVE = (OfferStatus.DRAFT.value, OfferStatus.PENDING.value, OfferStatus.ACTIVE.value)

# (key, header label of the template, required, help text for the template's notes sheet)
COLUMNS: tuple[tuple[str, str, bool, str], ...] = (
    ("category_code", "品目编码", True, "2022 政府采购品目分类目录编码，如 A02010105（台式计算机）"),
    ("brand", "品牌", True, "如 联想"),
    ("model", "型号", True, "厂家型号；同一品目下品牌+型号相同视为同一商品"),
    ("title", "商品标题", True, "不超过 200 字"),
    ("price", "单价(元)", True, "大于 0，最多两位小数"),
    ("market_price", "市场参考价(元)", False, "选填，电商平台或官网同型号价格"),
    ("market_price_source", "参考价来源", False, "选填，如 京东自营 2025-05"),
    ("stock", "库存", True, "不小于 0 的整数"),
    ("min_order_qty", "起订量", False, "选填，默认 1"),
    ("delivery_regions", "配送区域", True, "全国，或用逗号分隔的 2/4/6 位行政区划代码，如 33,3201"),
    ("lead_time_days", "供货周期(天)", True, "0 到 365 的整数"),
    ("warranty_months", "质保(月)", True, "0 到 120 的整数"),
    ("specs", "规格参数", True, "键=值;键=值，如 CPU=i5-12400;内存=16GB"),
    ("description", "商品描述", False, "选填"),
    ("cert_kind", "认证类型", False, "选填：节能 或 环境标志；填写认证信息时以下三列均须填写"),
    ("cert_number", "证书编号", False, "认证证书编号"),
    ("cert_certifier", "认证机构", False, "如 中国质量认证中心"),
    ("cert_valid_until", "证书有效期", False, "YYYY-MM-DD，如 2028-12-31"),
)
KEYS = tuple(c[0] for c in COLUMNS)
LABELS = {c[0]: c[1] for c in COLUMNS}
REQUIRED_COLUMNS = tuple(c[0] for c in COLUMNS if c[2])
CERT_COLUMNS = ("cert_kind", "cert_number", "cert_certifier", "cert_valid_until")

# Other names people give these columns.
_EXTRA_ALIASES = {
    "category_code": ("品目代码", "品目"), "title": ("商品名称",), "price": ("单价", "价格", "售价"),
    "market_price": ("市场参考价", "市场价"), "stock": ("库存数量",),
    "min_order_qty": ("最小起订量",), "lead_time_days": ("供货周期", "交货期(天)"),
    "warranty_months": ("质保期(月)", "质保"), "cert_valid_until": ("证书有效期至", "有效期"),
}

CERT_KINDS = {
    "节能": CertificateKind.ENERGY, "节能产品": CertificateKind.ENERGY,
    "节能产品认证": CertificateKind.ENERGY, "energy": CertificateKind.ENERGY,
    "环境标志": CertificateKind.ENVIRONMENT, "环境标志产品": CertificateKind.ENVIRONMENT,
    "环境标志产品认证": CertificateKind.ENVIRONMENT, "environment": CertificateKind.ENVIRONMENT,
}


def _norm_header(value: str) -> str:
    text = re.sub(r"\s+", "", str(value)).strip("*＊").replace("（", "(").replace("）", ")")
    return text.lower()


def _aliases() -> dict[str, str]:
    out: dict[str, str] = {}
    for key, label, _req, _help in COLUMNS:
        names = {key, label, re.sub(r"\(.*\)$", "", label), *_EXTRA_ALIASES.get(key, ())}
        for name in names:
            out[_norm_header(name)] = key
    return out


ALIASES = _aliases()


def _header_key(cell: str) -> str | None:
    """'品目编码', 'category_code', '品目编码(category_code)', '*单价（元）' … → the key."""
    h = _norm_header(cell)
    if h in ALIASES:
        return ALIASES[h]
    m = re.fullmatch(r"(.*)\(([a-z_]+)\)", h)
    if m and m.group(2) in LABELS and (not m.group(1) or ALIASES.get(m.group(1)) == m.group(2)):
        return m.group(2)
    return None


# ----------------------------------------------------------------------------- templates

def example_rows(today: date | None = None) -> list[dict]:
    """The two example rows of the templates (text cells, as `parse` returns them)."""
    valid_until = date((today or local_today()).year + 3, 12, 31).isoformat()
    return [
        {"category_code": "A02010105", "brand": "联想", "model": "扬天M4000q-G5",
         "title": "联想（Lenovo）扬天M4000q 台式计算机 i5-12400/16G/512G SSD/23.8英寸显示器",
         "price": "4299", "market_price": "4599", "market_price_source": "联想官网 2025-05",
         "stock": "200", "min_order_qty": "1", "delivery_regions": "全国",
         "lead_time_days": "3", "warranty_months": "36",
         "specs": "CPU=Intel 酷睿 i5-12400;内存=16GB DDR4;硬盘=512GB SSD;"
                  "操作系统=Windows 11 专业版;显示器=23.8英寸",
         "description": "商用台式机，三年上门保修，预装正版操作系统",
         "cert_kind": "节能", "cert_number": "CQC24701412345",
         "cert_certifier": "中国质量认证中心", "cert_valid_until": valid_until},
        {"category_code": "A05040101", "brand": "得力", "model": "7401",
         "title": "得力（deli）7401 A4 复印纸 70g 500张/包 8包/箱", "price": "189.5",
         "market_price": "199", "market_price_source": "京东自营 2025-05", "stock": "5000",
         "min_order_qty": "2", "delivery_regions": "33,3201", "lead_time_days": "2",
         "warranty_months": "0", "specs": "规格=A4;克重=70g;包装=500张/包，8包/箱",
         "description": "", "cert_kind": "", "cert_number": "", "cert_certifier": "",
         "cert_valid_until": ""},
    ]


def _cell_value(key: str, value):
    """Typed cells for XLSX: numbers as numbers, dates as dates, the rest as text."""
    if value is None or value == "":
        return None
    if isinstance(value, str) and key in ("price", "market_price"):
        try:
            return Decimal(value)
        except ArithmeticError:
            return value
    if isinstance(value, str) and key in ("stock", "min_order_qty", "lead_time_days",
                                          "warranty_months") and re.fullmatch(r"\d+", value):
        return int(value)
    if isinstance(value, str) and key == "cert_valid_until" \
            and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return value
    return value


def to_xlsx(rows: Iterable[dict], *, typed: bool = True) -> bytes:
    """An upload file: header of the template, one row per dict (streamed, write-only)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("商品")
    ws.append([LABELS[k] for k in KEYS])
    for row in rows:
        out = []
        for k in KEYS:
            value = _cell_value(k, row.get(k)) if typed else row.get(k)
            if isinstance(value, date):
                cell = WriteOnlyCell(ws, value=value)
                cell.number_format = "yyyy-mm-dd"
                value = cell
            out.append(value)
        ws.append(out)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def to_csv(rows: Iterable[dict]) -> bytes:
    """An upload file as UTF-8 CSV with a BOM (so that Excel shows the Chinese)."""
    buf = io.StringIO(newline="")
    writer = csv.writer(buf)
    writer.writerow([LABELS[k] for k in KEYS])
    for row in rows:
        writer.writerow(["" if row.get(k) is None else str(row.get(k)) for k in KEYS])
    return buf.getvalue().encode("utf-8-sig")


def template_csv() -> bytes:
    return to_csv(example_rows())


def template_xlsx() -> bytes:
    """The downloadable template: header, two examples, and a sheet explaining each column."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    wb = Workbook()
    ws = wb.active
    ws.title = "商品"
    ws.append([LABELS[k] for k in KEYS])
    for row in example_rows():
        ws.append([_cell_value(k, row[k]) for k in KEYS])
    bold, required_fill = Font(bold=True), PatternFill("solid", fgColor="FCE4D6")
    for i, (key, _label, required, _help) in enumerate(COLUMNS, start=1):
        head = ws.cell(row=1, column=i)
        head.font = bold
        if required:
            head.fill = required_fill
        ws.column_dimensions[get_column_letter(i)].width = 40 if key in (
            "title", "specs", "description") else 16
        if key == "cert_valid_until":
            for r in (2, 3):
                ws.cell(row=r, column=i).number_format = "yyyy-mm-dd"
    ws.freeze_panes = "A2"
    kinds = DataValidation(type="list", formula1='"节能,环境标志"', allow_blank=True)
    kinds.add(f"{get_column_letter(KEYS.index('cert_kind') + 1)}2:"
              f"{get_column_letter(KEYS.index('cert_kind') + 1)}{MAX_ROWS + 1}")
    ws.add_data_validation(kinds)
    notes = wb.create_sheet("填写说明")
    notes.append(["列", "字段", "是否必填", "说明"])
    for key, label, required, help_text in COLUMNS:
        notes.append([label, key, "必填" if required else "选填", help_text])
    notes.append([])
    notes.append(["说明", "", "", f"只读取第一个工作表；每次最多 {MAX_ROWS} 行；示例行请删除或替换后再上传"])
    for col, width in zip("ABCD", (16, 20, 10, 70), strict=True):
        notes.column_dimensions[col].width = width
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# ----------------------------------------------------------------------------- parse

def _unreadable(message: str) -> ValidationFailed:
    return ValidationFailed(message, code="upload_unreadable", errors={"file": [message]})


def _cell_text(value) -> str:
    """One cell as trimmed text: integral floats without .0, dates as YYYY-MM-DD."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def _xlsx_rows(content: bytes) -> Iterator[tuple[int, list]]:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # zip, XML or openpyxl errors: all mean "not a workbook"
        raise _unreadable("无法读取该 XLSX 文件，请确认文件未损坏，或使用平台模板重新填写") from exc
    try:
        if not wb.worksheets:
            raise _unreadable("XLSX 文件中没有工作表")
        ws = wb.worksheets[0]
        try:
            yield from enumerate(ws.iter_rows(values_only=True), start=1)
        except Exception as exc:  # a damaged sheet part
            raise _unreadable("XLSX 文件内容损坏，无法读取") from exc
    finally:
        wb.close()


def _csv_rows(content: bytes) -> Iterator[tuple[int, list]]:
    if b"\x00" in content:
        raise _unreadable("无法识别的文件格式，请上传 XLSX 或 UTF-8 编码的 CSV 文件")
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Excel on Chinese Windows saves "CSV" in GBK; accept it rather than refuse.
        try:
            text = content.decode("gb18030")
        except UnicodeDecodeError:
            raise _unreadable("CSV 文件应为 UTF-8 编码，请另存为“CSV UTF-8（逗号分隔）”") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        yield from enumerate(reader, start=1)
    except csv.Error as exc:
        raise _unreadable(f"CSV 文件格式错误（第 {reader.line_num} 行）：{exc}") from exc


def parse(content: bytes, filename: str) -> list[dict]:
    """Read the rows of an upload file: dicts of text cells keyed by column, plus `_row`
    (the 1-based spreadsheet row number; the header is row 1 in the template).

    XLSX (first sheet) is recognised by its content, CSV (UTF-8, BOM optional) otherwise.
    Empty rows are skipped. Raises ValidationFailed `upload_unreadable` for anything that is
    not such a file, has an unknown or incomplete header, or has no data, and
    `upload_too_large` above MAX_ROWS rows.
    """
    if not content:
        raise _unreadable("文件为空")
    name = (filename or "").lower()
    if content.startswith(b"PK\x03\x04"):
        source = _xlsx_rows(content)
    elif content.startswith(b"\xd0\xcf\x11\xe0") or name.endswith(".xls"):
        raise _unreadable("不支持旧版 Excel（.xls）文件，请另存为 .xlsx 或 CSV 后上传")
    elif name.endswith((".xlsx", ".xlsm")):
        raise _unreadable("文件扩展名为 .xlsx，但内容不是有效的 Excel 工作簿")
    else:
        source = _csv_rows(content)

    columns: list[str | None] | None = None
    rows: list[dict] = []
    try:
        for number, raw in source:
            cells = [_cell_text(c) for c in raw]
            if not any(cells):
                continue
            if columns is None:
                columns = _read_header(cells)
                width = len(columns)
                continue
            cells = (cells + [""] * width)[:width]
            row = dict.fromkeys(KEYS, "")
            for key, value in zip(columns, cells, strict=True):
                if key is not None:
                    row[key] = value
            row["_row"] = number
            rows.append(row)
            if len(rows) > MAX_ROWS:
                raise ValidationFailed(
                    f"单次最多上传 {MAX_ROWS} 行商品，请拆分文件后分批上传",
                    code="upload_too_large",
                    errors={"file": [f"超过 {MAX_ROWS} 行"]})
    finally:
        close = getattr(source, "close", None)
        if close is not None:
            close()
    if columns is None:
        raise _unreadable("文件为空，没有表头和商品数据")
    if not rows:
        raise _unreadable("文件中没有商品数据（只有表头）")
    return rows


def _read_header(cells: list[str]) -> list[str | None]:
    columns: list[str | None] = []
    unknown, seen = [], set()
    for i, cell in enumerate(cells, start=1):
        if not cell:
            columns.append(None)
            continue
        key = _header_key(cell)
        if key is None:
            unknown.append(f"第 {i} 列“{cell}”")
        elif key in seen:
            raise _unreadable(f"表头中“{LABELS[key]}”列重复")
        else:
            seen.add(key)
        columns.append(key)
    if unknown:
        raise _unreadable("无法识别的表头：" + "、".join(unknown[:5])
                          + "。请使用平台提供的批量上传模板")
    missing = [LABELS[k] for k in REQUIRED_COLUMNS if k not in seen]
    if missing:
        raise _unreadable("表头缺少必填列：" + "、".join(missing) + "。请使用平台提供的批量上传模板")
    while columns and columns[-1] is None:
        columns.pop()
    return columns


# ----------------------------------------------------------------------------- validate

def _money(label: str, *, required: bool) -> fields.Decimal:
    def two_places(value: Decimal) -> None:
        try:
            if value != value.quantize(CENT):
                raise ValidationError(f"{label}最多两位小数")
        except ArithmeticError:  # too many digits to quantize: the range check reports it
            pass

    return fields.Decimal(
        required=required,
        error_messages={"required": f"请填写{label}", "invalid": f"{label}应为数字",
                        "special": f"{label}应为有效数字"},
        validate=[v.Range(min=Decimal("0"), min_inclusive=False, error=f"{label}应大于 0 元"),
                  v.Range(max=Decimal("999999999999.99"), error=f"{label}超出允许范围"),
                  two_places])


def _int(label: str, *, minimum: int, maximum: int, required: bool = True,
         **kw) -> fields.Integer:
    return fields.Integer(
        required=required, strict=False,
        error_messages={"required": f"请填写{label}", "invalid": f"{label}应为整数"},
        validate=v.Range(min=minimum, max=maximum,
                         error=f"{label}应为 {minimum} 到 {maximum} 之间的整数"), **kw)


def _textfield(label: str, *, max_len: int, required: bool = True) -> fields.String:
    return Text(required=required, max_len=max_len,
                error_messages={"required": f"请填写{label}"})


class Regions(fields.Field):
    def _deserialize(self, value, attr, data, **kwargs):
        try:
            return offers.parse_regions(value)
        except ValidationFailed as exc:
            raise ValidationError(exc.message) from None


class Specs(fields.Field):
    """'键=值;键=值' → {"键": "值", …}."""

    def _deserialize(self, value, attr, data, **kwargs):
        out: dict[str, str] = {}
        for item in re.split(r"[;；\n]", str(value)):
            item = item.strip()
            if not item:
                continue
            key, sep, val = item.replace("＝", "=").partition("=")
            key, val = key.strip(), val.strip()
            if not sep or not key or not val:
                raise ValidationError(f"规格参数“{item}”应为 键=值 格式，多项用分号分隔")
            if len(key) > 30 or len(val) > 200:
                raise ValidationError(f"规格参数“{key}”过长（名称不超过 30 字，值不超过 200 字）")
            if key in out:
                raise ValidationError(f"规格参数“{key}”重复")
            out[key] = val
        if not out:
            raise ValidationError("请填写规格参数，格式为 键=值;键=值")
        return out


class CertKind(fields.Field):
    def _deserialize(self, value, attr, data, **kwargs):
        kind = CERT_KINDS.get(str(value).strip().lower())
        if kind is None:
            raise ValidationError("认证类型应为“节能”或“环境标志”")
        return kind.value


class CertDate(fields.Field):
    """YYYY-MM-DD; also 2027/6/30 and 2027年6月30日, as Excel writes dates into CSV."""

    def _deserialize(self, value, attr, data, **kwargs):
        m = re.fullmatch(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?",
                         str(value).strip())
        try:
            if m is None:
                raise ValueError
            return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError:
            raise ValidationError(f"证书有效期“{value}”不是有效日期，格式应为 YYYY-MM-DD") from None


class UploadRowSchema(Schema):
    """One row of the upload file (cells as text; empty cells are left out)."""

    category_code = _textfield("品目编码", max_len=16)
    brand = _textfield("品牌", max_len=60)
    model = _textfield("型号", max_len=100)
    title = _textfield("商品标题", max_len=200)
    price = _money("单价", required=True)
    market_price = _money("市场参考价", required=False)
    market_price_source = _textfield("参考价来源", max_len=200, required=False)
    stock = _int("库存", minimum=0, maximum=99_999_999)
    min_order_qty = _int("起订量", minimum=1, maximum=99_999_999, required=False,
                         load_default=1)
    delivery_regions = Regions(required=True, error_messages={
        "required": "请填写配送区域（全国，或逗号分隔的行政区划代码）"})
    lead_time_days = _int("供货周期", minimum=0, maximum=365)
    warranty_months = _int("质保月数", minimum=0, maximum=120)
    specs = Specs(required=True, error_messages={"required": "请填写规格参数，格式为 键=值;键=值"})
    description = _textfield("商品描述", max_len=5000, required=False)
    cert_kind = CertKind()
    cert_number = _textfield("证书编号", max_len=60, required=False)
    cert_certifier = _textfield("认证机构", max_len=100, required=False)
    cert_valid_until = CertDate()


ROW_SCHEMA = UploadRowSchema()


@dataclass
class Report:
    """valid: cleaned rows ready for `apply`; errors: one entry per bad cell."""

    valid: list[dict] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)

    @property
    def error_rows(self) -> int:
        return len({e["row"] for e in self.errors})


def validate(session: Session, supplier_id: int, rows: list[dict], *,
             today: date | None = None) -> Report:
    """Check every cell of every row; no per-row queries (two look-ups in all)."""
    today = today or local_today()
    categories = {code: cid for code, cid in session.execute(select(Category.code, Category.id))}
    listed = set(session.execute(
        select(Product.category_id, Product.match_key).join(Offer, Offer.product_id == Product.id)
        .where(Offer.supplier_id == supplier_id, Offer.status.in_(LIVE))).tuples())
    seen: dict[tuple[int, str], int] = {}
    report = Report()
    for index, raw in enumerate(rows):
        number = raw.get("_row") or index + 2
        cells = {k: _cell_text(raw.get(k)) for k in KEYS}
        for k in ("price", "market_price"):
            cells[k] = _money_text(cells[k])
        bad: dict[str, str] = {}
        try:
            data = ROW_SCHEMA.load({k: val for k, val in cells.items() if val != ""})
        except ValidationError as exc:
            data = exc.valid_data or {}
            for key, found in exc.messages.items():
                bad[key] = "；".join(messages(found))
        category_id = None
        if "category_code" in data:
            category_id = categories.get(data["category_code"])
            if category_id is None:
                bad["category_code"] = f"品目编码“{data['category_code']}”不存在"
        present = [k for k in CERT_COLUMNS if cells[k]]
        if present and len(present) < len(CERT_COLUMNS):
            for key in CERT_COLUMNS:
                if not cells[key]:
                    bad[key] = (f"填写认证信息时须同时填写{LABELS[key]}"
                                "（认证类型、证书编号、认证机构、证书有效期）")
        valid_until = data.get("cert_valid_until")
        if valid_until is not None and valid_until < today:
            bad["cert_valid_until"] = f"证书已于 {valid_until.isoformat()} 过期"
        if "market_price_source" in data and "market_price" not in data \
                and "market_price" not in bad:
            bad["market_price"] = "填写了参考价来源时请填写市场参考价"
        key = None
        if "brand" in data and "model" in data:
            mk = offers.match_key(data["brand"], data["model"])
            brand_part, model_part = mk.split("|", 1)
            if not brand_part:
                bad["brand"] = "品牌不能只含空格或符号"
            if not model_part:
                bad["model"] = "型号不能只含空格或符号"
            if category_id is not None and brand_part and model_part:
                key = (category_id, mk)
                if key in listed:
                    bad["model"] = "已上架该商品"
                elif key in seen:
                    bad["model"] = (f"与第 {seen[key]} 行重复（同一品目下品牌和型号相同），"
                                    "同一商品只能上传一次")
                else:
                    seen[key] = number
        if bad:
            for column in KEYS:
                if column in bad:
                    report.errors.append({"row": number, "column": column,
                                          "message": bad[column]})
            continue
        certificate = None
        if present:
            certificate = {"kind": data["cert_kind"], "number": data["cert_number"],
                           "certifier": data["cert_certifier"], "valid_until": valid_until}
        report.valid.append({
            "row": number, "category_code": data["category_code"], "category_id": category_id,
            "brand": data["brand"], "model": data["model"], "match_key": key[1],
            "title": data["title"], "price": data["price"].quantize(CENT),
            "market_price": (data["market_price"].quantize(CENT)
                             if data.get("market_price") is not None else None),
            "market_price_source": data.get("market_price_source"),
            "stock": data["stock"], "min_order_qty": data["min_order_qty"],
            "delivery_regions": data["delivery_regions"],
            "lead_time_days": data["lead_time_days"], "warranty_months": data["warranty_months"],
            "specs": data["specs"], "description": data.get("description", ""),
            "certificate": certificate,
        })
    return report


def _money_text(value: str) -> str:
    """'¥5,999.00' / '5999元' → '5999.00' / '5999' (thousands separators only)."""
    value = value.strip().lstrip("¥￥").removesuffix("元").strip()
    if re.fullmatch(r"\d{1,3}(,\d{3})+(\.\d+)?", value):
        value = value.replace(",", "")
    return value


# ----------------------------------------------------------------------------- apply

def _supplier_for_upload(session: Session, actor, supplier_id: int, *, submit: bool
                         ) -> Supplier:
    """The supplier, if it may list goods and the actor may act for it (as in create_offer
    and the offer state machine: a supplier's user for its own supplier; submitting for
    review is the supplier's own act). Locks the supplier row, so that two uploads of one
    supplier do not both pass the "already listed" check."""
    supplier = session.scalar(select(Supplier).where(Supplier.id == supplier_id)
                              .with_for_update())
    if supplier is None:
        raise NotFound("供应商不存在", code="supplier_not_found")
    role = getattr(actor, "role", None) if actor is not None else None
    if role is not None and role not in (Role.OPERATOR, Role.ADMIN) and (
            role != Role.SUPPLIER or getattr(actor, "supplier_id", None) != supplier_id):
        raise Forbidden("无权为其他供应商上传商品", code="offer_forbidden")
    if submit and role != Role.SUPPLIER:
        raise Forbidden("当前角色不能提交审核", code="offer_action_forbidden")
    if not can_trade(supplier, local_today()):
        raise Conflict(f"供应商状态为“{supplier.status_label}”，不能发布商品",
                       code="supplier_not_active")
    return supplier


def _chunks(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _json_default(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {value!r}")


def _insert(session: Session, table, values: list[dict], *, returning: tuple = (),
            skip_conflicts_on: tuple = ()) -> list[tuple]:
    """Bulk INSERT of `values` (dicts with the same keys) into a Core table.

    PostgreSQL: one `INSERT … SELECT … FROM json_to_recordset(:rows)` per call — the rows
    travel as one JSON document (encoded and decoded in C) where psycopg would otherwise
    send one statement per row or parse tens of thousands of placeholders in Python.
    Other databases: SQLAlchemy's executemany / insertmanyvalues.
    `skip_conflicts_on` = unique columns → ON CONFLICT DO NOTHING.
    """
    if not values:
        return []
    dialect = session.get_bind().dialect
    columns = [table.c[k] for k in values[0]]
    if dialect.name == "postgresql":
        quote = dialect.identifier_preparer.quote
        json_cols = {c.key for c in columns if isinstance(c.type, JSON)}
        if json_cols:  # JSON values go as text and are cast back: None stays JSON null,
            values = [{**row, **{k: json.dumps(row[k]) for k in json_cols}}  # as in the ORM
                      for row in values]
        defs = ", ".join(f"{quote(c.name)} "
                         f"{'TEXT' if c.key in json_cols else c.type.compile(dialect=dialect)}"
                         for c in columns)
        picks = ", ".join(f"CAST(x.{quote(c.name)} AS JSON)" if c.key in json_cols
                          else f"x.{quote(c.name)}" for c in columns)
        sql = (f"INSERT INTO {quote(table.name)} ({', '.join(quote(c.name) for c in columns)}) "
               f"SELECT {picks} FROM json_to_recordset(CAST(:rows AS JSON)) AS x({defs})")
        if skip_conflicts_on:
            sql += f" ON CONFLICT ({', '.join(quote(c) for c in skip_conflicts_on)}) DO NOTHING"
        if returning:
            sql += f" RETURNING {', '.join(quote(c) for c in returning)}"
        result = session.execute(text(sql), {"rows": json.dumps(values, default=_json_default)})
        return [tuple(r) for r in result] if returning else []
    if skip_conflicts_on and dialect.name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert
        stmt = sqlite_insert(table).on_conflict_do_nothing(index_elements=list(skip_conflicts_on))
    else:
        stmt = insert(table)
    if returning:
        stmt = stmt.returning(*(table.c[c] for c in returning))
        return [tuple(r) for r in session.execute(stmt, values)]
    session.execute(stmt, values)
    return []


def _product_ids(session: Session, rows: list[dict], now: datetime) -> dict[tuple, int]:
    """(category_id, match_key) → product id, creating the products that do not exist yet.

    Existing products are found with one query per chunk of keys; the missing ones are
    inserted in bulk (ON CONFLICT DO NOTHING where the dialect has it, so a product created
    meanwhile by another supplier's upload is found, not duplicated).
    """
    wanted: dict[tuple, dict] = {}
    for row in rows:
        wanted.setdefault((row["category_id"], row["match_key"]), row)
    found: dict[tuple, int] = {}

    def look_up(keys: list[tuple]) -> None:
        for chunk in _chunks(keys, 500):  # uses the unique (category_id, match_key) index
            for pid, cid, mk in session.execute(
                    select(Product.id, Product.category_id, Product.match_key)
                    .where(tuple_(Product.category_id, Product.match_key).in_(chunk))):
                found[(cid, mk)] = pid

    look_up(list(wanted))
    missing = [k for k in wanted if k not in found]
    if missing:
        values = []
        for key in missing:
            row = wanted[key]
            values.append({"category_id": key[0], "brand": row["brand"].strip(),
                           "model": row["model"].strip(), "match_key": key[1],
                           "name": row["title"], "specs": row["specs"] or {},
                           "description": row["description"] or "", "images": [],
                           "created_at": now})
        for chunk in _chunks(values, CHUNK):
            for pid, cid, mk in _insert(session, Product.__table__, chunk,
                                        returning=("id", "category_id", "match_key"),
                                        skip_conflicts_on=("category_id", "match_key")):
                found[(cid, mk)] = pid
        look_up([k for k in missing if k not in found])  # created meanwhile by others
    return found


def _snapshot(row: dict) -> dict:
    """What offers.snapshot(offer) gives for the offer created from this row."""
    return {
        "title": row["title"], "price": str(row["price"]),
        "market_price": str(row["market_price"]) if row["market_price"] is not None else None,
        "market_price_source": row["market_price_source"],
        "min_order_qty": row["min_order_qty"], "delivery_regions": list(row["delivery_regions"]),
        "lead_time_days": row["lead_time_days"], "warranty_months": row["warranty_months"],
        "claims_green": row["certificate"] is not None,
        "category_code": row["category_code"], "brand": row["brand"].strip(),
        "model": row["model"].strip(), "specs": dict(row["specs"] or {}),
        "description": row["description"] or "",
    }


def apply(session: Session, actor, supplier_id: int, rows: list[dict], *,
          submit: bool = True) -> dict:
    """Create one offer per cleaned row (`Report.valid`), pending review when `submit`,
    else draft; with its product (found or created), certificate, first version and audit
    events `offer.create` (and `offer.submit`), as create_offer + transition would.

    Writes in bulk; never commits. Returns {"created": n, "offer_ids": [...]} in row order.
    """
    _supplier_for_upload(session, actor, supplier_id, submit=submit)
    if not rows:
        return {"created": 0, "offer_ids": []}
    keys = [(r["category_id"], r["match_key"]) for r in rows]
    if len(set(keys)) != len(keys):
        raise ValidationFailed("同一商品（品目、品牌、型号相同）在本次上传中出现多次",
                               code="upload_duplicate_rows")
    now = utcnow()
    actor_id = getattr(actor, "id", None)
    actor_role = str(getattr(actor, "role", "system")) if actor is not None else "system"
    status = OfferStatus.PENDING.value if submit else OfferStatus.DRAFT.value
    session.flush()
    products = _product_ids(session, rows, now)
    offer_ids: list[int] = []
    for chunk in _chunks(rows, CHUNK):
        values = []
        for row in chunk:
            values.append({
                "product_id": products[(row["category_id"], row["match_key"])],
                "supplier_id": supplier_id, "title": row["title"], "price": row["price"],
                "market_price": row["market_price"],
                "market_price_source": row["market_price_source"], "stock": row["stock"],
                "min_order_qty": row["min_order_qty"],
                "delivery_regions": list(row["delivery_regions"]),
                "lead_time_days": row["lead_time_days"],
                "warranty_months": row["warranty_months"],
                "claims_green": row["certificate"] is not None, "status": status,
                "version": 1, "sales_count": 0, "created_at": now, "updated_at": now})
        # product ids are distinct within the upload, so they tell which id is whose
        by_product = dict(_insert(session, Offer.__table__, values,
                                  returning=("product_id", "id")))
        ids = [by_product[v["product_id"]] for v in values]
        offer_ids.extend(ids)
        certs, versions, events = [], [], []
        for offer_id, row in zip(ids, chunk, strict=True):
            if row["certificate"] is not None:
                c = row["certificate"]
                certs.append({"offer_id": offer_id, "kind": c["kind"], "number": c["number"],
                              "certifier": c["certifier"], "scope": c.get("scope") or "",
                              "valid_until": c["valid_until"]})
            snap = _snapshot(row)
            versions.append({"offer_id": offer_id, "number": 1, "state": "applied",
                             "data": snap, "changed_by": actor_id, "created_at": now})
            events.append({"at": now, "actor_id": actor_id, "actor_role": actor_role,
                           "action": "offer.create", "entity_type": "offer",
                           "entity_id": str(offer_id), "before": None, "after": snap})
            if submit:
                events.append({"at": now, "actor_id": actor_id, "actor_role": actor_role,
                               "action": "offer.submit", "entity_type": "offer",
                               "entity_id": str(offer_id),
                               "before": {"status": OfferStatus.DRAFT.value},
                               "after": {"status": status, "reason_code": None,
                                         "note": None}})
        _insert(session, Certificate.__table__, certs)
        _insert(session, OfferVersion.__table__, versions)
        _insert(session, AuditEvent.__table__, events)
    return {"created": len(offer_ids), "offer_ids": offer_ids}


def upload(session: Session, actor, supplier_id: int, content: bytes, filename: str, *,
           apply_valid_rows: bool = False, submit: bool = True) -> dict:
    """Parse, validate and (when clean, or when asked to take the valid rows) apply.

    With errors and apply_valid_rows False nothing is written and the report comes back
    with applied False. Raises ValidationFailed for an unreadable file, Conflict when the
    supplier may not trade.
    """
    _supplier_for_upload(session, actor, supplier_id, submit=submit)
    rows = parse(content, filename)
    report = validate(session, supplier_id, rows)
    summary = {"errors": report.errors, "valid_rows": len(report.valid),
               "error_rows": report.error_rows}
    if report.errors and not apply_valid_rows:
        return {"applied": False, "created": 0, "offer_ids": [], **summary}
    result = apply(session, actor, supplier_id, report.valid, submit=submit)
    return {"applied": True, **result, **summary}

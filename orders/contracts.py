"""Contracts (政府采购合同): number, amounts in figures and in Chinese capitals (大写), and a
PDF drawn with ReportLab's built-in CID font STSong-Light (no font file needed).

`ContractDoc` is the plain content of a contract; `render_pdf` turns it into bytes. The
database side (the `Contract` record, locking the payee account under 政采贷 financing)
lives in `orders.payments`-adjacent rules below once the order exists.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import cn2an
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from mall.money import CENT

FONT = "STSong-Light"
pdfmetrics.registerFont(UnicodeCIDFont(FONT))


def amount_in_words(amount: Decimal) -> str:
    """人民币大写, e.g. 12345.67 → 壹万贰仟叁佰肆拾伍元陆角柒分; 10.00 → 壹拾元整."""
    if not isinstance(amount, Decimal) or not amount.is_finite() or amount < 0:
        raise ValueError(f"not an amount: {amount!r}")
    amount = amount.quantize(CENT)
    if amount == 0:
        return "零元整"
    return cn2an.an2cn(f"{amount:.2f}", "rmb")


def contract_number(year: int, unit_code: str, seq: int) -> str:
    """HT-<year>-<budget unit code>-<5-digit sequence within the unit and year>."""
    return f"HT-{year}-{unit_code}-{seq:05d}"


@dataclass(frozen=True)
class ContractLine:
    title: str
    category: str
    unit_price: Decimal
    quantity: int
    amount: Decimal


@dataclass(frozen=True)
class ContractDoc:
    number: str
    signed_on: date
    order_number: str
    buyer_name: str
    buyer_code: str
    supplier_name: str
    supplier_uscc: str
    supplier_size: str
    payee_bank: str
    payee_account: str
    payment_method: str
    lines: list[ContractLine]
    total: Decimal
    payment_term_days: int
    delivery_address: str
    contact_name: str
    contact_phone: str
    financed: bool = False
    financier: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def total_in_words(self) -> str:
        return amount_in_words(self.total)


def _styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("body", fontName=FONT, fontSize=10.5, leading=16)
    return {
        "title": ParagraphStyle("title", parent=base, fontSize=18, leading=26,
                                alignment=TA_CENTER, spaceAfter=4 * mm),
        "head": ParagraphStyle("head", parent=base, fontSize=12, leading=18,
                               spaceBefore=3 * mm, spaceAfter=1 * mm),
        "body": base,
        "cell": ParagraphStyle("cell", parent=base, fontSize=9, leading=12),
    }


def render_pdf(doc: ContractDoc) -> bytes:
    """The contract as a PDF (A4, STSong-Light)."""
    st = _styles()
    buf = io.BytesIO()
    pdf = SimpleDocTemplate(buf, pagesize=A4, title=f"政府采购合同 {doc.number}",
                            author="政采商城", leftMargin=18 * mm, rightMargin=18 * mm,
                            topMargin=18 * mm, bottomMargin=18 * mm)
    p = Paragraph
    story = [
        p("政府采购合同", st["title"]),
        p(f"合同编号：{doc.number}　　订单编号：{doc.order_number}　　"
          f"签订日期：{doc.signed_on:%Y年%m月%d日}", st["body"]),
        p("一、合同双方", st["head"]),
        p(f"采购人（甲方）：{doc.buyer_name}（单位编码 {doc.buyer_code}）", st["body"]),
        p(f"供应商（乙方）：{doc.supplier_name}", st["body"]),
        p(f"统一社会信用代码：{doc.supplier_uscc}　　企业规模：{doc.supplier_size}", st["body"]),
        p(f"收款账户：{doc.payee_bank}　账号 {doc.payee_account}", st["body"]),
        p("二、合同标的", st["head"]),
    ]
    rows = [[p(h, st["cell"]) for h in ("序号", "商品名称", "品目", "单价（元）", "数量",
                                        "金额（元）")]]
    for i, line in enumerate(doc.lines, 1):
        rows.append([p(str(i), st["cell"]), p(line.title, st["cell"]),
                     p(line.category, st["cell"]), p(f"{line.unit_price:,.2f}", st["cell"]),
                     p(str(line.quantity), st["cell"]), p(f"{line.amount:,.2f}", st["cell"])])
    rows.append([p("合计", st["cell"]), "", "", "", "", p(f"{doc.total:,.2f}", st["cell"])])
    table = Table(rows, colWidths=[12 * mm, 62 * mm, 34 * mm, 24 * mm, 14 * mm, 28 * mm],
                  repeatRows=1)
    table.setStyle(TableStyle([
        ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
        ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke),
        ("SPAN", (0, -1), (4, -1)),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
    ]))
    story += [
        table,
        p("三、合同金额", st["head"]),
        p(f"合同总价：人民币（大写）{doc.total_in_words}（小写 ¥{doc.total:,.2f}）。"
          "合同总价包含货物、运输、装卸、安装调试及税费等全部费用。", st["body"]),
        p("四、交付", st["head"]),
        p(f"乙方在订单确认后按约定将货物送达：{doc.delivery_address or '甲方指定地点'}；"
          f"收货联系人：{doc.contact_name or '—'} {doc.contact_phone or ''}。"
          "货物应为全新合格产品，随附合格证明及使用说明；运输途中的风险由乙方承担。",
          st["body"]),
        p("五、验收", st["head"]),
        p("甲方在货物送达后组织履约验收，出具验收结论（合格、部分合格或不合格）。"
          "部分合格的，按验收合格部分的金额结算；不合格的货物由乙方负责退换。", st["body"]),
        p("六、付款", st["head"]),
        p(f"付款方式：{doc.payment_method}。甲方应自验收合格之日起 {doc.payment_term_days} "
          "日内将合同款项支付至乙方上述收款账户（《保障中小企业款项支付条例》）。",
          st["body"]),
    ]
    if doc.financed:
        story.append(p(f"本合同已办理政府采购合同融资（政采贷）{('，融资机构：' + doc.financier) if doc.financier else ''}；"
                       "乙方收款账户已锁定，合同履行期间不得变更。", st["body"]))
    story += [
        p("七、争议解决", st["head"]),
        p("因本合同发生的争议，双方协商解决；协商不成的，依法向甲方所在地人民法院提起诉讼。",
          st["body"]),
    ]
    for note in doc.notes:
        story.append(p(note, st["body"]))
    story += [
        Spacer(1, 12 * mm),
        Table([[p("甲方（盖章）：", st["body"]), p("乙方（盖章）：", st["body"])],
               [p(doc.buyer_name, st["body"]), p(doc.supplier_name, st["body"])],
               [p("日期：", st["body"]), p("日期：", st["body"])]],
              colWidths=[87 * mm, 87 * mm]),
    ]
    pdf.build(story)
    return buf.getvalue()

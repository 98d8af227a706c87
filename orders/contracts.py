"""Contracts (政府采购合同): number, amounts in figures and in Chinese capitals (大写), and a
PDF drawn with ReportLab's built-in CID font STSong-Light (no font file needed).

`ContractDoc` is the plain content of a contract; `render_pdf` turns it into bytes. The
`Contract` record is created when the supplier confirms the order (`create_contract`); it
keeps a snapshot of the payee account, which the supplier may update until the contract is
financed (政府采购合同融资「政采贷」): then the account is the lender's collection account
and is locked.
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
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mall import audit
from mall.clock import local_today, utcnow
from mall.errors import Conflict, Forbidden, NotFound, field_error
from mall.money import CENT
from mall.roles import Role
from orders import flow
from orders.models import (
    PAYMENT_METHOD_LABELS,
    BudgetUnit,
    Contract,
    Order,
    OrderStatus,
    PaymentMethod,
)
from suppliers.models import Supplier

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


# --- the Contract record ------------------------------------------------------------------------

DEFAULT_TERM_DAYS = 30
# Financing and payee changes are possible while the contract is being performed, not after.
OPEN_FOR_FINANCING = (OrderStatus.CONFIRMED.value, OrderStatus.SHIPPED.value,
                      OrderStatus.DELIVERED.value, OrderStatus.ACCEPTED.value)


def create_contract(session: Session, order: Order, *, term_days: int = DEFAULT_TERM_DAYS,
                    today: date | None = None) -> Contract:
    """The order's contract (one per order; a second call returns it). Numbers run per
    budget unit and year; the unit row is locked while the next number is taken."""
    existing = session.scalar(select(Contract).where(Contract.order_id == order.id))
    if existing is not None:
        return existing
    today = today or local_today()
    unit = session.scalar(select(BudgetUnit).where(BudgetUnit.id == order.unit_id)
                          .with_for_update())
    prefix = f"HT-{today.year}-{unit.code}-"
    count = session.scalar(select(func.count()).select_from(Contract)
                           .where(Contract.number.like(f"{prefix}%"))) or 0
    supplier = session.get(Supplier, order.supplier_id)
    contract = Contract(number=contract_number(today.year, unit.code, count + 1),
                        order_id=order.id, total=order.total,
                        total_in_words=amount_in_words(order.total),
                        payment_term_days=term_days, payee_bank=supplier.bank_name,
                        payee_account=supplier.bank_account, financed=False, signed_on=today)
    session.add(contract)
    session.flush()
    audit.record(session, None, "contract.create", "contract", contract.id,
                 after={"number": contract.number, "order_id": order.id, "total": order.total})
    return contract


def can_access(actor, order: Order) -> bool:
    """Only the buyer unit and the supplier of the order (the parties) may read its contract."""
    return flow.is_party(actor, order)


def contract_for(session: Session, actor, order_id: int) -> Contract:
    order = session.get(Order, order_id)
    if order is None or not can_access(actor, order):
        raise NotFound("合同不存在", code="contract_not_found")
    contract = session.scalar(select(Contract).where(Contract.order_id == order_id))
    if contract is None:
        raise NotFound("订单尚未确认，合同尚未生成", code="contract_not_found")
    return contract


def _supplier_contract(session: Session, actor, contract_id: int) -> Contract:
    if getattr(actor, "role", None) != Role.SUPPLIER:
        raise Forbidden("只有合同供应商可以办理", code="supplier_only")
    contract = session.scalar(select(Contract).where(Contract.id == contract_id)
                              .with_for_update())
    if contract is None or contract.order.supplier_id != actor.supplier_id:
        raise NotFound("合同不存在", code="contract_not_found")
    if contract.order.status not in OPEN_FOR_FINANCING:
        raise Conflict("合同已履行完毕或已终止，不能再办理", code="contract_closed")
    return contract


def declare_financing(session: Session, actor, contract_id: int, *, financier: str,
                      payee_bank: str, payee_account: str) -> Contract:
    """政采贷: the supplier financed this contract with `financier`; payment goes to the
    lender's collection account, which is locked from now on."""
    contract = _supplier_contract(session, actor, contract_id)
    if contract.financed:
        raise Conflict("该合同已办理政采贷，收款账户已锁定", code="contract_payee_locked")
    before = {"payee_bank": contract.payee_bank, "payee_account": contract.payee_account}
    contract.financed = True
    contract.financier = financier
    contract.financed_at = utcnow()
    contract.payee_bank = payee_bank
    contract.payee_account = payee_account
    audit.record(session, actor, "contract.financed", "contract", contract.id, before=before,
                 after={"financier": financier, "payee_bank": payee_bank,
                        "payee_account": payee_account})
    return contract


def change_payee(session: Session, actor, contract_id: int, *, payee_bank: str,
                 payee_account: str) -> Contract:
    """The supplier changes the contract's payee account — refused once financed."""
    contract = _supplier_contract(session, actor, contract_id)
    if contract.financed:
        raise Conflict("该合同已办理政采贷，收款账户已锁定，不能变更",
                       code="contract_payee_locked",
                       errors={"payee_account": ["收款账户已锁定"]})
    if not payee_account.isdigit():
        raise field_error("payee_account", "银行账号应为数字")
    before = {"payee_bank": contract.payee_bank, "payee_account": contract.payee_account}
    contract.payee_bank = payee_bank
    contract.payee_account = payee_account
    audit.record(session, actor, "contract.payee_changed", "contract", contract.id,
                 before=before, after={"payee_bank": payee_bank,
                                       "payee_account": payee_account})
    return contract


def document(session: Session, contract: Contract) -> ContractDoc:
    order = contract.order
    supplier = session.get(Supplier, order.supplier_id)
    unit = session.get(BudgetUnit, order.unit_id)
    lines = [ContractLine(line.title, f"{line.category_code} {line.category_name}",
                          line.unit_price, line.quantity, line.amount) for line in order.lines]
    return ContractDoc(
        number=contract.number, signed_on=contract.signed_on, order_number=order.number,
        buyer_name=unit.name, buyer_code=unit.code, supplier_name=supplier.name,
        supplier_uscc=supplier.uscc, supplier_size=supplier.size_label,
        payee_bank=contract.payee_bank, payee_account=contract.payee_account,
        payment_method=PAYMENT_METHOD_LABELS[PaymentMethod(order.payment_method)],
        lines=lines, total=contract.total, payment_term_days=contract.payment_term_days,
        delivery_address=order.delivery_address, contact_name=order.contact_name,
        contact_phone=order.contact_phone, financed=contract.financed,
        financier=contract.financier or "")


def seed_contracts(session: Session, orders: list[Order]) -> list[Contract]:
    """Demo data: the contracts of demo orders that went past the supplier's confirmation
    (signed on the confirmation day)."""
    out = []
    for order in orders:
        if order.confirmed_at is not None:
            out.append(create_contract(session, order, today=local_today(order.confirmed_at)))
    return out

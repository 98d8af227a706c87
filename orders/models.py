"""Budget units (预算单位) and their budget lines (预算指标)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mall.clock import utcnow
from mall.db import Base


class UnitLevel(StrEnum):
    CENTRAL = "central"
    PROVINCIAL = "provincial"
    MUNICIPAL = "municipal"
    COUNTY = "county"
    TOWNSHIP = "township"


UNIT_LEVEL_LABELS = {
    UnitLevel.CENTRAL: "中央",
    UnitLevel.PROVINCIAL: "省级",
    UnitLevel.MUNICIPAL: "市级",
    UnitLevel.COUNTY: "县级",
    UnitLevel.TOWNSHIP: "乡镇级",
}


class BudgetPurpose(StrEnum):
    CANTEEN_FOOD = "canteen_food"
    OFFICE_EQUIPMENT = "office_equipment"
    OFFICE_SUPPLIES = "office_supplies"
    FURNITURE = "furniture"
    VEHICLE = "vehicle"
    SERVICES = "services"
    OTHER = "other"


BUDGET_PURPOSE_LABELS = {
    BudgetPurpose.CANTEEN_FOOD: "食堂食材",
    BudgetPurpose.OFFICE_EQUIPMENT: "办公设备",
    BudgetPurpose.OFFICE_SUPPLIES: "办公用品",
    BudgetPurpose.FURNITURE: "家具",
    BudgetPurpose.VEHICLE: "车辆运行维护",
    BudgetPurpose.SERVICES: "服务",
    BudgetPurpose.OTHER: "其他",
}


class BudgetUnit(Base):
    __tablename__ = "budget_units"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    region_code: Mapped[str] = mapped_column(String(6), index=True)
    level: Mapped[str] = mapped_column(String(16))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("budget_units.id"), index=True)
    # 分散采购限额 override; None means the configured default applies.
    purchase_limit: Mapped[Decimal | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    parent: Mapped[BudgetUnit | None] = relationship(remote_side=[id])
    lines: Mapped[list[BudgetLine]] = relationship(back_populates="unit",
                                                   order_by="BudgetLine.id")

    @property
    def level_label(self) -> str:
        return UNIT_LEVEL_LABELS[UnitLevel(self.level)]


class BudgetLine(Base):
    __tablename__ = "budget_lines"
    __table_args__ = (
        UniqueConstraint("unit_id", "fiscal_year", "name"),
        CheckConstraint("amount >= 0", name="amount_non_negative"),
        CheckConstraint("frozen >= 0", name="frozen_non_negative"),
        CheckConstraint("spent >= 0", name="spent_non_negative"),
        CheckConstraint("frozen + spent <= amount", name="within_amount"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("budget_units.id"), index=True)
    fiscal_year: Mapped[int]
    name: Mapped[str] = mapped_column(String(200))
    purpose: Mapped[str] = mapped_column(String(32))
    amount: Mapped[Decimal]
    frozen: Mapped[Decimal] = mapped_column(default=Decimal("0.00"))
    spent: Mapped[Decimal] = mapped_column(default=Decimal("0.00"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    unit: Mapped[BudgetUnit] = relationship(back_populates="lines")

    @property
    def available(self) -> Decimal:
        return self.amount - self.frozen - self.spent

    @property
    def purpose_label(self) -> str:
        return BUDGET_PURPOSE_LABELS[BudgetPurpose(self.purpose)]


# --- cart, checkout, orders (购物车、下单、订单) -------------------------------------------

class PaymentMethod(StrEnum):
    CARD = "card"  # 公务卡, paid through Stripe
    TREASURY = "treasury"  # 国库集中支付


PAYMENT_METHOD_LABELS = {
    PaymentMethod.CARD: "公务卡",
    PaymentMethod.TREASURY: "国库集中支付",
}


class OrderSource(StrEnum):
    MALL = "mall"  # 电子卖场直购
    CALLOFF = "calloff"  # 框架协议采购二阶段


ORDER_SOURCE_LABELS = {OrderSource.MALL: "电子卖场直购", OrderSource.CALLOFF: "框架协议确定成交"}


class OrderStatus(StrEnum):
    PLACED = "placed"
    CONFIRMED = "confirmed"
    REFUSED = "refused"
    CANCELLED = "cancelled"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    ACCEPTED = "accepted"
    ACCEPTANCE_FAILED = "acceptance_failed"
    RETURN_REQUESTED = "return_requested"
    RETURNED = "returned"
    PAID = "paid"
    COMPLETED = "completed"


ORDER_STATUS_LABELS = {
    OrderStatus.PLACED: "待供应商确认",
    OrderStatus.CONFIRMED: "已确认",
    OrderStatus.REFUSED: "供应商已拒绝",
    OrderStatus.CANCELLED: "已取消",
    OrderStatus.SHIPPED: "已发货",
    OrderStatus.DELIVERED: "已送达",
    OrderStatus.ACCEPTED: "验收通过",
    OrderStatus.ACCEPTANCE_FAILED: "验收不合格",
    OrderStatus.RETURN_REQUESTED: "退货申请中",
    OrderStatus.RETURNED: "已退货",
    OrderStatus.PAID: "已支付",
    OrderStatus.COMPLETED: "已完成",
}


class AcceptanceResult(StrEnum):
    PASS = "pass"  # 验收合格
    PARTIAL = "partial"  # 部分合格
    FAIL = "fail"  # 不合格


ACCEPTANCE_RESULT_LABELS = {
    AcceptanceResult.PASS: "合格",
    AcceptanceResult.PARTIAL: "部分合格",
    AcceptanceResult.FAIL: "不合格",
}


class Cart(Base):
    """A buyer's cart. `name` is "" for the current cart; saved carts (常用清单) have names."""

    __tablename__ = "carts"
    __table_args__ = (UniqueConstraint("user_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(60), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    lines: Mapped[list[CartLine]] = relationship(back_populates="cart", order_by="CartLine.id",
                                                 cascade="all, delete-orphan")


class CartLine(Base):
    """One offer in a cart, with the price the buyer saw (a later change is pointed out)."""

    __tablename__ = "cart_lines"
    __table_args__ = (
        UniqueConstraint("cart_id", "offer_id"),
        CheckConstraint("quantity >= 1", name="quantity_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cart_id: Mapped[int] = mapped_column(ForeignKey("carts.id"), index=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("offers.id"), index=True)
    quantity: Mapped[int]
    seen_price: Mapped[Decimal]
    added_at: Mapped[datetime] = mapped_column(default=utcnow)

    cart: Mapped[Cart] = relationship(back_populates="lines")


class Checkout(Base):
    """One submission of the checkout form or API call; its idempotency key is unique per
    buyer, so a double submit finds the first checkout and returns the same orders."""

    __tablename__ = "checkouts"
    __table_args__ = (UniqueConstraint("user_id", "idempotency_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    idempotency_key: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    orders: Mapped[list[Order]] = relationship(back_populates="checkout", order_by="Order.id")


class Order(Base):
    """One order per supplier (订单). State machine in orders/flow.py."""

    __tablename__ = "orders"
    __table_args__ = (
        CheckConstraint("total > 0", name="total_positive"),
        CheckConstraint("accepted_amount IS NULL OR accepted_amount <= total",
                        name="accepted_within_total"),
        CheckConstraint("paid_amount IS NULL OR paid_amount <= total", name="paid_within_total"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    checkout_id: Mapped[int] = mapped_column(ForeignKey("checkouts.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("budget_units.id"), index=True)
    buyer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("suppliers.id"), index=True)
    budget_line_id: Mapped[int] = mapped_column(ForeignKey("budget_lines.id"), index=True)
    status: Mapped[str] = mapped_column(String(24), default=OrderStatus.PLACED.value, index=True)
    status_note: Mapped[str | None] = mapped_column(String(500))
    payment_method: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(16), default=OrderSource.MALL.value)
    calloff_id: Mapped[int | None] = mapped_column(index=True)  # framework call-off, no FK yet
    total: Mapped[Decimal]
    accepted_amount: Mapped[Decimal | None]  # set at acceptance (pass: total; partial: less)
    paid_amount: Mapped[Decimal | None]
    delivery_address: Mapped[str] = mapped_column(String(300), default="")
    contact_name: Mapped[str] = mapped_column(String(50), default="")
    contact_phone: Mapped[str] = mapped_column(String(20), default="")
    buyer_note: Mapped[str | None] = mapped_column(String(500))
    carrier: Mapped[str | None] = mapped_column(String(100))
    tracking_no: Mapped[str | None] = mapped_column(String(100))
    # 化整为零 flag: same unit + category + supplier within the window summing over the limit.
    split_flag: Mapped[bool] = mapped_column(default=False, index=True)
    split_note: Mapped[str | None] = mapped_column(String(500))
    confirm_by: Mapped[date]  # last working day for the supplier to confirm (auto-cancel after)
    due_date: Mapped[date | None] = mapped_column(index=True)  # payment term (付款期限)
    days_to_pay: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    confirmed_at: Mapped[datetime | None]
    shipped_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    accepted_at: Mapped[datetime | None]
    paid_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]  # cancelled, refused, returned or completed

    checkout: Mapped[Checkout] = relationship(back_populates="orders")
    lines: Mapped[list[OrderLine]] = relationship(back_populates="order", order_by="OrderLine.id",
                                                  cascade="all, delete-orphan")
    acceptance: Mapped[Acceptance | None] = relationship(back_populates="order")
    unit: Mapped[BudgetUnit] = relationship()
    budget_line: Mapped[BudgetLine] = relationship()

    @property
    def number(self) -> str:
        """Order number shown to people, e.g. DD20261121-000042 (date in China)."""
        from mall.clock import local_today
        return f"DD{local_today(self.created_at):%Y%m%d}-{self.id:06d}"

    @property
    def status_label(self) -> str:
        return ORDER_STATUS_LABELS[OrderStatus(self.status)]

    @property
    def payment_method_label(self) -> str:
        return PAYMENT_METHOD_LABELS[PaymentMethod(self.payment_method)]

    @property
    def source_label(self) -> str:
        return ORDER_SOURCE_LABELS[OrderSource(self.source)]


class OrderLine(Base):
    """A snapshot of what was bought: title, category, price, quantity and policy tags."""

    __tablename__ = "order_lines"
    __table_args__ = (
        CheckConstraint("quantity >= 1", name="quantity_positive"),
        CheckConstraint("unit_price > 0", name="unit_price_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    offer_id: Mapped[int | None] = mapped_column(ForeignKey("offers.id"), index=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"), index=True)
    category_code: Mapped[str] = mapped_column(String(16))
    category_name: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(200))
    unit_price: Mapped[Decimal]
    quantity: Mapped[int]
    amount: Mapped[Decimal]
    # Policy tags for reporting (政策功能统计).
    is_832: Mapped[bool] = mapped_column(default=False)  # 脱贫地区农副产品
    is_green: Mapped[bool] = mapped_column(default=False)  # 节能 / 环境标志
    is_sme: Mapped[bool] = mapped_column(default=False)  # 中小企业
    is_small_micro: Mapped[bool] = mapped_column(default=False)  # 小微企业

    order: Mapped[Order] = relationship(back_populates="lines")


class Acceptance(Base):
    """验收: result, the accepted amount (partial acceptance), inspector and notes."""

    __tablename__ = "acceptances"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), unique=True)
    result: Mapped[str] = mapped_column(String(16))
    accepted_amount: Mapped[Decimal]
    inspector: Mapped[str] = mapped_column(String(50))
    notes: Mapped[str] = mapped_column(Text, default="")
    accepted_on: Mapped[date]  # local (China) date of the acceptance
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    order: Mapped[Order] = relationship(back_populates="acceptance")

    @property
    def result_label(self) -> str:
        return ACCEPTANCE_RESULT_LABELS[AcceptanceResult(self.result)]


# --- payments ledger, treasury instructions, contracts (支付台账、国库支付指令、合同) ------------

class PaymentStatus(StrEnum):
    NEW = "new"  # nothing authorised yet
    AUTHORISED = "authorised"  # 已预授权 (card hold / treasury: budget frozen)
    CAPTURED = "captured"  # 已扣款 / 已支付
    VOIDED = "voided"  # 已撤销
    REFUNDED = "refunded"  # 已全额退款
    FAILED = "failed"  # the last operation failed (see last_error); retry possible


PAYMENT_STATUS_LABELS = {
    PaymentStatus.NEW: "待授权",
    PaymentStatus.AUTHORISED: "已预授权",
    PaymentStatus.CAPTURED: "已支付",
    PaymentStatus.VOIDED: "已撤销",
    PaymentStatus.REFUNDED: "已退款",
    PaymentStatus.FAILED: "支付失败",
}


class EntryKind(StrEnum):
    AUTHORISE = "authorise"
    REAUTHORISE = "reauthorise"
    CAPTURE = "capture"
    VOID = "void"
    REFUND = "refund"


ENTRY_KIND_LABELS = {EntryKind.AUTHORISE: "预授权", EntryKind.REAUTHORISE: "重新授权",
                     EntryKind.CAPTURE: "扣款", EntryKind.VOID: "撤销授权",
                     EntryKind.REFUND: "退款"}


class EntryStatus(StrEnum):
    PENDING = "pending"  # recorded, the provider call is still to be made (outbox event)
    AWAITING = "awaiting"  # the provider took it and waits for a person (国库支付指令待确认)
    SUCCEEDED = "succeeded"
    FAILED = "failed"


ENTRY_STATUS_LABELS = {EntryStatus.PENDING: "待处理",
                       EntryStatus.AWAITING: "待财政确认", EntryStatus.SUCCEEDED: "成功",
                       EntryStatus.FAILED: "失败"}


class Payment(Base):
    """One order's payment (支付台账): method, provider reference and running amounts."""

    __tablename__ = "payments"
    __table_args__ = (
        CheckConstraint("captured_amount <= authorised_amount OR method = 'treasury'",
                        name="captured_within_authorised"),
        CheckConstraint("refunded_amount <= captured_amount", name="refunded_within_captured"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), unique=True)
    method: Mapped[str] = mapped_column(String(16))  # card | treasury (= Order.payment_method)
    provider: Mapped[str] = mapped_column(String(16))  # stripe | treasury
    provider_ref: Mapped[str | None] = mapped_column(String(120), index=True)
    status: Mapped[str] = mapped_column(String(16), default=PaymentStatus.NEW.value, index=True)
    authorised_amount: Mapped[Decimal] = mapped_column(default=Decimal("0.00"))
    captured_amount: Mapped[Decimal] = mapped_column(default=Decimal("0.00"))
    refunded_amount: Mapped[Decimal] = mapped_column(default=Decimal("0.00"))
    authorised_at: Mapped[datetime | None]
    authorisation_expires_at: Mapped[datetime | None]
    captured_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    order: Mapped[Order] = relationship()
    entries: Mapped[list[PaymentEntry]] = relationship(back_populates="payment",
                                                       order_by="PaymentEntry.id")

    @property
    def status_label(self) -> str:
        return PAYMENT_STATUS_LABELS[PaymentStatus(self.status)]


class PaymentEntry(Base):
    """One operation on a payment with its amount, idempotency key and provider reference.

    The key is deterministic (order, operation, attempt number), unique, and sent with every
    provider call, so a repeated or retried operation never moves money twice."""

    __tablename__ = "payment_entries"
    __table_args__ = (CheckConstraint("amount >= 0", name="amount_non_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    seq: Mapped[int] = mapped_column(default=1)  # attempt number of this kind
    amount: Mapped[Decimal]
    status: Mapped[str] = mapped_column(String(16), default=EntryStatus.PENDING.value,
                                        index=True)
    idempotency_key: Mapped[str] = mapped_column(String(120), unique=True)
    provider_ref: Mapped[str | None] = mapped_column(String(120))
    retryable: Mapped[bool] = mapped_column(default=False)
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(default=0)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None]

    payment: Mapped[Payment] = relationship(back_populates="entries")

    @property
    def kind_label(self) -> str:
        return ENTRY_KIND_LABELS[EntryKind(self.kind)]

    @property
    def status_label(self) -> str:
        return ENTRY_STATUS_LABELS[EntryStatus(self.status)]


class InstructionStatus(StrEnum):
    PENDING = "pending"  # 待财政确认
    CONFIRMED = "confirmed"  # 已确认支付
    REJECTED = "rejected"  # 已退回


INSTRUCTION_STATUS_LABELS = {InstructionStatus.PENDING: "待确认",
                             InstructionStatus.CONFIRMED: "已确认",
                             InstructionStatus.REJECTED: "已退回"}


class TreasuryInstruction(Base):
    """国库集中支付 payment instruction (支付指令): finance staff confirm or reject it;
    confirmation is what completes the payment."""

    __tablename__ = "treasury_instructions"
    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(120), unique=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # capture (支付) | refund (退回)
    amount: Mapped[Decimal]
    payee_name: Mapped[str] = mapped_column(String(200))
    payee_bank: Mapped[str] = mapped_column(String(100))
    payee_account: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(16), default=InstructionStatus.PENDING.value,
                                        index=True)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None]
    reason: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    order: Mapped[Order] = relationship()

    @property
    def number(self) -> str:
        """支付指令编号, e.g. ZF2026-000042."""
        return f"ZF{self.created_at:%Y}-{self.id:06d}"

    @property
    def status_label(self) -> str:
        return INSTRUCTION_STATUS_LABELS[InstructionStatus(self.status)]


class StripeEvent(Base):
    """Each Stripe webhook event id recorded once (duplicates are ignored)."""

    __tablename__ = "stripe_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[str] = mapped_column(String(255), unique=True)
    type: Mapped[str] = mapped_column(String(100))
    object_id: Mapped[str | None] = mapped_column(String(120), index=True)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class Contract(Base):
    """政府采购合同: number, amounts, and the payee account snapshot, locked when the
    supplier finances the contract (政采贷)."""

    __tablename__ = "contracts"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), unique=True)
    total: Mapped[Decimal]
    total_in_words: Mapped[str] = mapped_column(String(120))
    payment_term_days: Mapped[int]
    payee_bank: Mapped[str] = mapped_column(String(100))
    payee_account: Mapped[str] = mapped_column(String(40))
    financed: Mapped[bool] = mapped_column(default=False)
    financier: Mapped[str | None] = mapped_column(String(100))
    financed_at: Mapped[datetime | None]
    signed_on: Mapped[date]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    order: Mapped[Order] = relationship()
# ---------------------------------------------------------------------------------------------
# Framework-agreement call-offs (框架协议第二阶段). Rules: orders/calloffs.py.


class CallOffStatus(StrEnum):
    NEW = "new"  # only inside the creating transaction
    BIDDING = "bidding"  # 二次竞价中 (bids sealed until the deadline)
    OFFERED = "offered"  # 顺序轮候: waiting for the member in turn to accept or decline
    AWARDED = "awarded"  # 已成交
    FAILED = "failed"  # 流标 (no valid bid / every member declined)
    CANCELLED = "cancelled"


CALLOFF_STATUS_LABELS = {
    CallOffStatus.NEW: "新建", CallOffStatus.BIDDING: "竞价中", CallOffStatus.OFFERED: "轮候确认中",
    CallOffStatus.AWARDED: "已成交", CallOffStatus.FAILED: "未成交", CallOffStatus.CANCELLED: "已取消",
}


class CallOff(Base):
    __tablename__ = "calloffs"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),
                      CheckConstraint("budget_amount > 0", name="budget_positive"))

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str | None] = mapped_column(String(32), unique=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("framework_agreements.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("agreement_items.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("budget_units.id"), index=True)
    buyer_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    budget_line_id: Mapped[int] = mapped_column(ForeignKey("budget_lines.id"))
    method: Mapped[str] = mapped_column(String(16))
    requirement: Mapped[str] = mapped_column(Text, default="")
    quantity: Mapped[int]
    budget_amount: Mapped[Decimal]  # 本次采购预算
    deadline: Mapped[datetime | None]  # bids (二次竞价) or the turn's answer (顺序轮候)
    status: Mapped[str] = mapped_column(String(16), default=CallOffStatus.NEW.value, index=True)
    reason_code: Mapped[str | None] = mapped_column(String(40))  # 直接选定 reason
    reason_note: Mapped[str | None] = mapped_column(String(500))
    offered_member_id: Mapped[int | None] = mapped_column(ForeignKey("agreement_members.id"))
    awarded_member_id: Mapped[int | None] = mapped_column(ForeignKey("agreement_members.id"))
    awarded_supplier_id: Mapped[int | None] = mapped_column(ForeignKey("suppliers.id"),
                                                            index=True)
    agreed_unit_price: Mapped[Decimal | None]  # the awarded member's 协议价格
    awarded_unit_price: Mapped[Decimal | None]
    awarded_total: Mapped[Decimal | None]
    awarded_at: Mapped[datetime | None]
    result_due_by: Mapped[date | None]  # 结果公告 within 2 working days
    result_published_at: Mapped[datetime | None]
    payment_method: Mapped[str] = mapped_column(String(16), default=PaymentMethod.TREASURY.value)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"))  # the order placed
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    bids: Mapped[list[CallOffBid]] = relationship(back_populates="calloff",
                                                  order_by="CallOffBid.id")

    @property
    def status_label(self) -> str:
        return CALLOFF_STATUS_LABELS[CallOffStatus(self.status)]


class CallOffInvite(Base):
    """二次竞价: every active member holding the item is invited when the call-off starts."""

    __tablename__ = "calloff_invites"
    __table_args__ = (UniqueConstraint("calloff_id", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    calloff_id: Mapped[int] = mapped_column(ForeignKey("calloffs.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("agreement_members.id"))
    supplier_id: Mapped[int] = mapped_column(ForeignKey("suppliers.id"), index=True)


class CallOffBid(Base):
    """A sealed bid; a resubmission before the deadline replaces price and time."""

    __tablename__ = "calloff_bids"
    __table_args__ = (UniqueConstraint("calloff_id", "supplier_id"),
                      CheckConstraint("unit_price > 0", name="unit_price_positive"))

    id: Mapped[int] = mapped_column(primary_key=True)
    calloff_id: Mapped[int] = mapped_column(ForeignKey("calloffs.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("agreement_members.id"))
    supplier_id: Mapped[int] = mapped_column(ForeignKey("suppliers.id"), index=True)
    unit_price: Mapped[Decimal]
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)

    calloff: Mapped[CallOff] = relationship(back_populates="bids")


class RotationTurn(Base):
    """顺序轮候: one turn per member per cycle (the unique key makes a repeat impossible)."""

    __tablename__ = "rotation_turns"
    __table_args__ = (UniqueConstraint("agreement_id", "cycle", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("framework_agreements.id"), index=True)
    cycle: Mapped[int]
    position: Mapped[int]
    member_id: Mapped[int] = mapped_column(ForeignKey("agreement_members.id"))
    calloff_id: Mapped[int] = mapped_column(ForeignKey("calloffs.id"), index=True)
    outcome: Mapped[str] = mapped_column(String(16))  # offered | awarded | declined | skipped
    reason: Mapped[str | None] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(default=utcnow)

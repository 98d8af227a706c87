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
    order_id: Mapped[int | None]  # the order in the ordinary pipeline
    budget_frozen: Mapped[Decimal | None]  # frozen here when no order pipeline took it
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

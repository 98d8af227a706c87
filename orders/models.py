"""Budget units (预算单位) and their budget lines (预算指标)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
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

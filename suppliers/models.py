"""Suppliers (供应商): identity, SME size, region and 832 flag, and status."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from mall.clock import utcnow
from mall.db import Base


class SupplierSize(StrEnum):
    """Enterprise size by 工信部联企业〔2011〕300号, as declared in the 中小企业声明函."""

    LARGE = "large"
    MEDIUM = "medium"
    SMALL = "small"
    MICRO = "micro"


SIZE_LABELS = {
    SupplierSize.LARGE: "大型",
    SupplierSize.MEDIUM: "中型",
    SupplierSize.SMALL: "小型",
    SupplierSize.MICRO: "微型",
}


class SupplierStatus(StrEnum):
    PENDING = "pending"
    ACTIVE = "active"
    REJECTED = "rejected"
    SUSPENDED = "suspended"
    BANNED = "banned"


STATUS_LABELS = {
    SupplierStatus.PENDING: "待审核",
    SupplierStatus.ACTIVE: "正常",
    SupplierStatus.REJECTED: "未通过",
    SupplierStatus.SUSPENDED: "暂停交易",
    SupplierStatus.BANNED: "禁止参加政府采购",
}


class Supplier(Base):
    __tablename__ = "suppliers"

    id: Mapped[int] = mapped_column(primary_key=True)
    uscc: Mapped[str] = mapped_column(String(18), unique=True)  # 统一社会信用代码
    name: Mapped[str] = mapped_column(String(200))
    region_code: Mapped[str] = mapped_column(String(6), index=True)
    size: Mapped[str] = mapped_column(String(8))
    is_832: Mapped[bool] = mapped_column(default=False, index=True)
    contact_name: Mapped[str] = mapped_column(String(50))
    contact_phone: Mapped[str] = mapped_column(String(20))
    contact_email: Mapped[str | None] = mapped_column(String(120))
    bank_name: Mapped[str] = mapped_column(String(100))
    bank_account: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(16), default=SupplierStatus.PENDING.value,
                                        index=True)
    status_reason_code: Mapped[str | None] = mapped_column(String(40))
    status_note: Mapped[str | None] = mapped_column(String(500))
    status_until: Mapped[date | None]  # suspension/ban ends after this day (inclusive)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def size_label(self) -> str:
        return SIZE_LABELS[SupplierSize(self.size)]

    @property
    def is_sme(self) -> bool:
        return self.size != SupplierSize.LARGE

    @property
    def is_small_or_micro(self) -> bool:
        return self.size in (SupplierSize.SMALL, SupplierSize.MICRO)

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[SupplierStatus(self.status)]

    def public(self) -> dict:
        return {
            "id": self.id, "uscc": self.uscc, "name": self.name,
            "region_code": self.region_code, "size": self.size, "is_832": self.is_832,
            "status": self.status, "status_reason_code": self.status_reason_code,
            "status_note": self.status_note, "status_until": self.status_until,
        }

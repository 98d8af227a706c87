"""Categories (品目, 2022 政府采购品目分类目录), products, offers, versions, certificates,
and price statistics."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mall.clock import utcnow
from mall.db import Base


class Category(Base):
    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"), index=True)
    depth: Mapped[int] = mapped_column(default=0)
    mandatory_green: Mapped[bool] = mapped_column(default=False)  # 节能强制采购
    priority_green: Mapped[bool] = mapped_column(default=False)  # 节能/环境标志优先采购
    canteen_food: Mapped[bool] = mapped_column(default=False)  # 食堂食材, 832 eligible

    parent: Mapped[Category | None] = relationship(remote_side=[id])


class GreenCodeMap(Base):
    """Codes of the 2019 green lists (财库〔2019〕18号/19号) use the 2013 catalogue."""

    __tablename__ = "green_code_map"

    id: Mapped[int] = mapped_column(primary_key=True)
    code_2013: Mapped[str] = mapped_column(String(16), index=True)
    code_2022: Mapped[str] = mapped_column(String(16), index=True)
    name: Mapped[str] = mapped_column(String(100))
    list_name: Mapped[str] = mapped_column(String(16))  # energy | environment


class OfferStatus(StrEnum):
    DRAFT = "draft"
    PENDING = "pending"
    ACTIVE = "active"
    REJECTED = "rejected"
    DELISTED = "delisted"
    EXPIRED = "expired"


OFFER_STATUS_LABELS = {
    OfferStatus.DRAFT: "草稿",
    OfferStatus.PENDING: "待审核",
    OfferStatus.ACTIVE: "在售",
    OfferStatus.REJECTED: "已驳回",
    OfferStatus.DELISTED: "已下架",
    OfferStatus.EXPIRED: "已过期",
}


class CertificateKind(StrEnum):
    ENERGY = "energy"  # 节能产品认证
    ENVIRONMENT = "environment"  # 环境标志产品认证


CERT_LABELS = {CertificateKind.ENERGY: "节能", CertificateKind.ENVIRONMENT: "环境标志"}


class Product(Base):
    """The thing itself; several suppliers' offers share it (matched by brand + model)."""

    __tablename__ = "products"
    __table_args__ = (UniqueConstraint("category_id", "match_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"), index=True)
    brand: Mapped[str] = mapped_column(String(60))
    model: Mapped[str] = mapped_column(String(100))
    match_key: Mapped[str] = mapped_column(String(170))  # normalised "brand|model"
    name: Mapped[str] = mapped_column(String(200))
    specs: Mapped[dict] = mapped_column(JSON, default=dict)
    description: Mapped[str] = mapped_column(Text, default="")
    images: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    category: Mapped[Category] = relationship()


class Offer(Base):
    """One supplier's listing of a product. The columns hold the version on sale."""

    __tablename__ = "offers"
    __table_args__ = (
        CheckConstraint("price > 0", name="price_positive"),
        CheckConstraint("stock >= 0", name="stock_non_negative"),
        CheckConstraint("min_order_qty >= 1", name="min_order_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("suppliers.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    price: Mapped[Decimal]
    market_price: Mapped[Decimal | None]
    market_price_source: Mapped[str | None] = mapped_column(String(200))
    stock: Mapped[int] = mapped_column(default=0)
    min_order_qty: Mapped[int] = mapped_column(default=1)
    delivery_regions: Mapped[list] = mapped_column(JSON, default=list)  # region code prefixes
    lead_time_days: Mapped[int] = mapped_column(default=3)
    warranty_months: Mapped[int] = mapped_column(default=0)
    claims_green: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(16), default=OfferStatus.DRAFT.value, index=True)
    status_reason_code: Mapped[str | None] = mapped_column(String(40))
    status_note: Mapped[str | None] = mapped_column(String(500))
    version: Mapped[int] = mapped_column(default=1)
    sales_count: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    product: Mapped[Product] = relationship()
    certificates: Mapped[list[Certificate]] = relationship(
        back_populates="offer", order_by="Certificate.id", cascade="all, delete-orphan")


class OfferVersion(Base):
    """Version history: a snapshot of the listing fields for every edit.

    state: live (went on sale or applied at once), pending (awaits review while the previous
    version stays on sale), rejected, superseded.
    """

    __tablename__ = "offer_versions"
    __table_args__ = (UniqueConstraint("offer_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("offers.id"), index=True)
    number: Mapped[int]
    state: Mapped[str] = mapped_column(String(16), index=True)
    data: Mapped[dict] = mapped_column(JSON)
    changed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Certificate(Base):
    __tablename__ = "certificates"

    id: Mapped[int] = mapped_column(primary_key=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("offers.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    number: Mapped[str] = mapped_column(String(60))
    certifier: Mapped[str] = mapped_column(String(100))
    scope: Mapped[str] = mapped_column(String(200), default="")
    valid_until: Mapped[date]

    offer: Mapped[Offer] = relationship(back_populates="certificates")


class PriceStats(Base):
    """Price watch per product over its active offers, recomputed when offers change."""

    __tablename__ = "price_stats"

    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), primary_key=True)
    offer_count: Mapped[int]
    min_price: Mapped[Decimal]
    q1_price: Mapped[Decimal]
    median_price: Mapped[Decimal]
    q3_price: Mapped[Decimal]
    max_price: Mapped[Decimal]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

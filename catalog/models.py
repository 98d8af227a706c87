"""Procurement categories (品目, 2022 政府采购品目分类目录) and the 2013 → 2022 code map."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

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

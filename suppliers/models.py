"""Suppliers (供应商): identity, SME size, region and 832 flag, and status."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Numeric, String, UniqueConstraint
from sqlalchemy import Text as SqlText
from sqlalchemy.orm import Mapped, mapped_column, relationship

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


# ---------------------------------------------------------------------------------------------
# Framework agreements (框架协议, 财政部令第110号), first stage. Rules: suppliers/agreements.py.


class AgreementKind(StrEnum):
    CLOSED = "closed"  # 封闭式: shortlist by evaluation, members fixed (补充征集 only)
    OPEN = "open"  # 开放式: any qualified supplier accepting the published price may join


AGREEMENT_KIND_LABELS = {AgreementKind.CLOSED: "封闭式", AgreementKind.OPEN: "开放式"}


class EvaluationMethod(StrEnum):
    PRICE = "price"  # 价格优先法
    QUALITY = "quality"  # 质量优先法


EVALUATION_LABELS = {EvaluationMethod.PRICE: "价格优先法", EvaluationMethod.QUALITY: "质量优先法"}


class CallOffMethod(StrEnum):
    DIRECT = "direct"  # 直接选定
    BIDDING = "bidding"  # 二次竞价
    ROTATION = "rotation"  # 顺序轮候


CALLOFF_METHOD_LABELS = {CallOffMethod.DIRECT: "直接选定", CallOffMethod.BIDDING: "二次竞价",
                         CallOffMethod.ROTATION: "顺序轮候"}


class AgreementStatus(StrEnum):
    DRAFT = "draft"
    SOLICITING = "soliciting"  # 征集中 (responses sealed until the deadline)
    EVALUATING = "evaluating"  # 评审中
    ACTIVE = "active"  # 生效
    SUPPLEMENTING = "supplementing"  # 补充征集中 (still in force for call-offs)
    EXPIRED = "expired"  # 已到期
    TERMINATED = "terminated"  # 已终止


AGREEMENT_STATUS_LABELS = {
    AgreementStatus.DRAFT: "草稿", AgreementStatus.SOLICITING: "征集中",
    AgreementStatus.EVALUATING: "评审中", AgreementStatus.ACTIVE: "生效",
    AgreementStatus.SUPPLEMENTING: "补充征集中", AgreementStatus.EXPIRED: "已到期",
    AgreementStatus.TERMINATED: "已终止",
}


class FrameworkAgreement(Base):
    __tablename__ = "framework_agreements"
    __table_args__ = (
        CheckConstraint("elimination_ratio >= 0 AND elimination_ratio < 1",
                        name="elimination_ratio_range"),
        CheckConstraint("sme_deduction >= 0.10 AND sme_deduction <= 0.20",
                        name="sme_deduction_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str | None] = mapped_column(String(32), unique=True)  # 协议编号
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(16), default=AgreementStatus.DRAFT.value,
                                        index=True)
    agency_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    description: Mapped[str] = mapped_column(SqlText, default="")
    evaluation_method: Mapped[str] = mapped_column(String(8), default=EvaluationMethod.PRICE.value)
    elimination_ratio: Mapped[Decimal] = mapped_column(Numeric(4, 2), default=Decimal("0.20"))
    sme_deduction: Mapped[Decimal] = mapped_column(Numeric(4, 2), default=Decimal("0.10"))
    calloff_methods: Mapped[list] = mapped_column(JSON, default=list)
    bid_working_days: Mapped[int] = mapped_column(default=3)  # 二次竞价 minimum window
    response_deadline: Mapped[datetime | None]
    round: Mapped[int] = mapped_column(default=1)  # 1 = 征集, 2+ = 补充征集
    valid_from: Mapped[date]
    valid_until: Mapped[date]
    published_at: Mapped[datetime | None]
    result_published_at: Mapped[datetime | None]
    evaluated_at: Mapped[datetime | None]
    status_reason_code: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    items: Mapped[list[AgreementItem]] = relationship(
        back_populates="agreement", order_by="AgreementItem.line_no",
        cascade="all, delete-orphan")

    @property
    def kind_label(self) -> str:
        return AGREEMENT_KIND_LABELS[AgreementKind(self.kind)]

    @property
    def status_label(self) -> str:
        return AGREEMENT_STATUS_LABELS[AgreementStatus(self.status)]

    @property
    def evaluation_label(self) -> str:
        return EVALUATION_LABELS[EvaluationMethod(self.evaluation_method)]

    @property
    def method_labels(self) -> str:
        return "、".join(CALLOFF_METHOD_LABELS[CallOffMethod(m)] for m in self.calloff_methods)


class AgreementItem(Base):
    """One item of the solicitation: category, specification, estimate, 最高限制单价."""

    __tablename__ = "agreement_items"
    __table_args__ = (UniqueConstraint("agreement_id", "line_no"),
                      CheckConstraint("max_unit_price > 0", name="max_price_positive"),
                      CheckConstraint("est_quantity > 0", name="est_quantity_positive"))

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("framework_agreements.id"), index=True)
    line_no: Mapped[int]
    name: Mapped[str] = mapped_column(String(200))
    category_code: Mapped[str] = mapped_column(String(16))
    spec: Mapped[str] = mapped_column(SqlText, default="")  # 技术规格要求
    unit: Mapped[str] = mapped_column(String(16), default="台")  # 计量单位
    est_quantity: Mapped[int]
    max_unit_price: Mapped[Decimal]  # 最高限制单价; for open agreements the published price

    agreement: Mapped[FrameworkAgreement] = relationship(back_populates="items")


class AgreementResponse(Base):
    """A supplier's response (响应文件) to a solicitation round; sealed until the deadline."""

    __tablename__ = "agreement_responses"
    __table_args__ = (UniqueConstraint("agreement_id", "round", "supplier_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("framework_agreements.id"), index=True)
    round: Mapped[int]
    supplier_id: Mapped[int] = mapped_column(ForeignKey("suppliers.id"), index=True)
    # 中小企业声明函: the registered size when the supplier declares, None when it does not.
    declared_size: Mapped[str | None] = mapped_column(String(8))
    documents: Mapped[str] = mapped_column(SqlText, default="")  # 资格与响应文件说明
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    quoted_total: Mapped[Decimal]  # Σ unit price × estimated quantity
    quality_score: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))  # 质量优先法 score
    evaluated_price: Mapped[Decimal | None]  # after the small/micro deduction
    rank: Mapped[int | None]
    shortlisted: Mapped[bool] = mapped_column(default=False)
    valid: Mapped[bool] = mapped_column(default=True)
    invalid_reason: Mapped[str | None] = mapped_column(String(200))

    prices: Mapped[list[ResponsePrice]] = relationship(
        back_populates="response", cascade="all, delete-orphan", order_by="ResponsePrice.item_id")
    supplier: Mapped[Supplier] = relationship()

    @property
    def small_or_micro(self) -> bool:
        return self.declared_size in (SupplierSize.SMALL, SupplierSize.MICRO)


class ResponsePrice(Base):
    __tablename__ = "response_prices"
    __table_args__ = (UniqueConstraint("response_id", "item_id"),
                      CheckConstraint("unit_price > 0", name="unit_price_positive"))

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("agreement_responses.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("agreement_items.id"))
    unit_price: Mapped[Decimal]

    response: Mapped[AgreementResponse] = relationship(back_populates="prices")


class MemberStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"  # 暂停
    REMOVED = "removed"  # 移出 (by the agency, with a coded reason)
    EXITED = "exited"  # 退出 (the supplier left)


MEMBER_STATUS_LABELS = {MemberStatus.ACTIVE: "正常", MemberStatus.SUSPENDED: "暂停",
                        MemberStatus.REMOVED: "已移出", MemberStatus.EXITED: "已退出"}


class AgreementMember(Base):
    """A shortlisted (入围) or joined supplier with its rotation position (轮候顺序)."""

    __tablename__ = "agreement_members"
    __table_args__ = (UniqueConstraint("agreement_id", "supplier_id"),
                      UniqueConstraint("agreement_id", "rotation_position"))

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("framework_agreements.id"), index=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("suppliers.id"), index=True)
    response_id: Mapped[int | None] = mapped_column(ForeignKey("agreement_responses.id"))
    rank: Mapped[int | None]
    rotation_position: Mapped[int]
    status: Mapped[str] = mapped_column(String(16), default=MemberStatus.ACTIVE.value)
    status_reason_code: Mapped[str | None] = mapped_column(String(40))
    status_note: Mapped[str | None] = mapped_column(String(500))
    joined_at: Mapped[datetime] = mapped_column(default=utcnow)

    supplier: Mapped[Supplier] = relationship()
    prices: Mapped[list[MemberPrice]] = relationship(
        back_populates="member", cascade="all, delete-orphan", order_by="MemberPrice.item_id")

    @property
    def status_label(self) -> str:
        return MEMBER_STATUS_LABELS[MemberStatus(self.status)]

    def price_for(self, item_id: int) -> Decimal | None:
        return next((p.agreed_price for p in self.prices if p.item_id == item_id), None)


class MemberPrice(Base):
    """协议价格: the member's agreed price for one item, the ceiling of every call-off."""

    __tablename__ = "member_prices"
    __table_args__ = (UniqueConstraint("member_id", "item_id"),
                      CheckConstraint("agreed_price > 0", name="agreed_price_positive"))

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("agreement_members.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("agreement_items.id"), index=True)
    agreed_price: Mapped[Decimal]

    member: Mapped[AgreementMember] = relationship(back_populates="prices")
    item: Mapped[AgreementItem] = relationship()


class NoticeKind(StrEnum):
    SOLICITATION = "solicitation"  # 征集公告
    SUPPLEMENT = "supplement"  # 补充征集公告
    RESULT = "result"  # 入围结果公告
    ROTATION = "rotation"  # 轮候顺序告知
    CALLOFF_RESULT = "calloff_result"  # 二次竞价 / 顺序轮候 成交结果公告
    MEMBER = "member"  # 成员变更公告 (suspension, removal, joining, leaving)
    TERMINATION = "termination"


NOTICE_LABELS = {NoticeKind.SOLICITATION: "征集公告", NoticeKind.SUPPLEMENT: "补充征集公告",
                 NoticeKind.RESULT: "入围结果公告", NoticeKind.ROTATION: "轮候顺序告知",
                 NoticeKind.CALLOFF_RESULT: "成交结果公告", NoticeKind.MEMBER: "成员变更公告",
                 NoticeKind.TERMINATION: "终止公告"}


class AgreementNotice(Base):
    """Published notices (公告) of an agreement and its call-offs (ref_id = call-off id)."""

    __tablename__ = "agreement_notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("framework_agreements.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    ref_id: Mapped[int | None]
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(SqlText)
    published_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def kind_label(self) -> str:
        return NOTICE_LABELS[NoticeKind(self.kind)]

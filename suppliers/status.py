"""Supplier status (供应商状态) as an explicit state machine.

pending ─approve→ active ─suspend→ suspended ─reinstate→ active
pending ─reject→ rejected ─resubmit→ pending
active|suspended ─ban→ banned ─reinstate→ active

A suspension or ban may carry a due date (`status_until`); the day after it the supplier is
active again: `effective_status` answers that at read time, and `lift_expired` (run by
`mall jobs`) writes the reinstatement and its audit event.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from mall import audit
from mall.errors import Conflict, NotFound, field_error
from suppliers.models import Supplier, SupplierStatus

S = SupplierStatus

TRANSITIONS: dict[str, tuple[set[SupplierStatus], SupplierStatus]] = {
    "approve": ({S.PENDING}, S.ACTIVE),
    "reject": ({S.PENDING}, S.REJECTED),
    "resubmit": ({S.REJECTED}, S.PENDING),
    "suspend": ({S.ACTIVE}, S.SUSPENDED),
    "ban": ({S.ACTIVE, S.SUSPENDED}, S.BANNED),
    "reinstate": ({S.SUSPENDED, S.BANNED}, S.ACTIVE),
}

ACTION_LABELS = {"approve": "审核通过", "reject": "驳回", "resubmit": "重新提交",
                 "suspend": "暂停交易", "ban": "禁止参加", "reinstate": "恢复"}

REJECT_REASONS = {
    "license_mismatch": "营业执照信息与填报不符",
    "incomplete_documents": "资料不完整",
    "duplicate_registration": "重复注册",
    "not_qualified": "不符合供应商资格条件（政府采购法第二十二条）",
    "other": "其他",
}

SANCTION_REASONS = {
    "false_documents": "提供虚假材料谋取中标、成交",
    "collusion": "与采购人、其他供应商恶意串通",
    "contract_breach": "拒绝签订或不履行合同",
    "quality_failure": "提供的产品或服务质量不合格",
    "price_violation": "价格违规（虚高报价、价格欺诈）",
    "bribery": "行贿或提供其他不正当利益",
    "complaint_abuse": "捏造事实、提供虚假材料进行投诉",
    "major_violation": "三年内经营活动中有重大违法记录",
    "other": "其他",
}

# Which transitions need a coded reason, and from which list.
REASONS_FOR = {"reject": REJECT_REASONS, "suspend": SANCTION_REASONS, "ban": SANCTION_REASONS}


def effective_status(supplier: Supplier, today: date) -> SupplierStatus:
    status = SupplierStatus(supplier.status)
    if status in (S.SUSPENDED, S.BANNED) and supplier.status_until is not None \
            and supplier.status_until < today:
        return S.ACTIVE
    return status


def can_trade(supplier: Supplier, today: date) -> bool:
    return effective_status(supplier, today) is S.ACTIVE


def transition(session: Session, actor, supplier_id: int, action: str, *,
               reason_code: str | None = None, note: str | None = None,
               until: date | None = None, today: date | None = None) -> Supplier:
    if action not in TRANSITIONS:
        raise field_error("action", f"未知操作：{action}")
    supplier = session.scalar(select(Supplier).where(Supplier.id == supplier_id)
                              .with_for_update())
    if supplier is None:
        raise NotFound("供应商不存在", code="supplier_not_found")
    sources, target = TRANSITIONS[action]
    current = SupplierStatus(supplier.status)
    if current not in sources:
        raise Conflict(f"供应商当前状态为“{supplier.status_label}”，不能{ACTION_LABELS[action]}",
                       code="supplier_transition_refused")
    reasons = REASONS_FOR.get(action)
    if reasons is not None and reason_code not in reasons:
        raise field_error("reason_code", "请选择有效的原因代码", code="reason_required")
    if until is not None:
        if action not in ("suspend", "ban"):
            raise field_error("until", "只有暂停或禁止可以设置截止日期")
        if today is not None and until < today:
            raise field_error("until", "截止日期不能早于今天")
    before = {"status": supplier.status, "reason_code": supplier.status_reason_code,
              "until": supplier.status_until}
    supplier.status = target.value
    supplier.status_reason_code = reason_code
    supplier.status_note = note
    supplier.status_until = until
    audit.record(session, actor, f"supplier.{action}", "supplier", supplier.id, before=before,
                 after={"status": supplier.status, "reason_code": reason_code, "note": note,
                        "until": until})
    return supplier


def lift_expired(session: Session, today: date) -> list[int]:
    """Reinstate suspensions and bans whose due date has passed; returns the supplier ids."""
    ids = list(session.scalars(select(Supplier.id).where(
        Supplier.status.in_([S.SUSPENDED.value, S.BANNED.value]),
        Supplier.status_until.is_not(None), Supplier.status_until < today)))
    for supplier_id in ids:
        transition(session, None, supplier_id, "reinstate", note="期限届满自动恢复")
    return ids


def can_trade_clause(today: date):
    """`can_trade` as an SQL condition on `Supplier` (for queries over many suppliers)."""
    return or_(Supplier.status == S.ACTIVE.value,
               and_(Supplier.status.in_([S.SUSPENDED.value, S.BANNED.value]),
                    Supplier.status_until.is_not(None), Supplier.status_until < today))

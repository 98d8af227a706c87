"""Budget units and budget lines: 无预算不采购 (no purchase without budget).

`freeze`, `release` and `spend` move money between available, frozen and spent with one
conditional UPDATE each, so concurrent calls can never take a line below zero: the database
applies the check and the change atomically, and a call that would overdraw changes no row.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from mall import audit
from mall.errors import Conflict, Forbidden, NotFound, RuleViolation, field_error
from mall.money import to_money
from mall.roles import OVERSEERS, Role
from orders.models import BudgetLine, BudgetPurpose, BudgetUnit, UnitLevel


class InsufficientBudget(RuleViolation):
    code = "budget_insufficient"


def create_unit(session: Session, actor, *, code: str, name: str, region_code: str, level: str,
                parent_id: int | None = None, purchase_limit: Decimal | None = None
                ) -> BudgetUnit:
    UnitLevel(level)
    if session.scalar(select(BudgetUnit.id).where(BudgetUnit.code == code)) is not None:
        raise Conflict(f"单位编码“{code}”已存在", code="unit_code_taken",
                       errors={"code": ["单位编码已存在"]})
    if parent_id is not None and session.get(BudgetUnit, parent_id) is None:
        raise field_error("parent_id", "上级单位不存在")
    unit = BudgetUnit(code=code, name=name, region_code=region_code, level=level,
                      parent_id=parent_id, purchase_limit=purchase_limit)
    session.add(unit)
    session.flush()
    audit.record(session, actor, "budget_unit.create", "budget_unit", unit.id,
                 after={"code": code, "name": name, "region_code": region_code, "level": level,
                        "parent_id": parent_id, "purchase_limit": purchase_limit})
    return unit


def create_line(session: Session, actor, *, unit_id: int, fiscal_year: int, name: str,
                purpose: str, amount: Decimal) -> BudgetLine:
    BudgetPurpose(purpose)
    if session.get(BudgetUnit, unit_id) is None:
        raise NotFound("预算单位不存在", code="unit_not_found")
    if amount <= 0:
        raise field_error("amount", "预算金额必须大于 0")
    exists = session.scalar(select(BudgetLine.id).where(
        BudgetLine.unit_id == unit_id, BudgetLine.fiscal_year == fiscal_year,
        BudgetLine.name == name))
    if exists is not None:
        raise Conflict(f"{fiscal_year} 年度已有名为“{name}”的预算指标", code="budget_line_exists",
                       errors={"name": ["同一年度预算指标名称重复"]})
    line = BudgetLine(unit_id=unit_id, fiscal_year=fiscal_year, name=name, purpose=purpose,
                      amount=to_money(amount), frozen=Decimal("0.00"), spent=Decimal("0.00"))
    session.add(line)
    session.flush()
    audit.record(session, actor, "budget_line.create", "budget_line", line.id,
                 after={"unit_id": unit_id, "fiscal_year": fiscal_year, "name": name,
                        "purpose": purpose, "amount": line.amount})
    return line


def can_see_unit(actor, unit_id: int) -> bool:
    """Buyers see only their own unit; operators, regulators and admins see all units."""
    if actor.role == Role.BUYER:
        return actor.budget_unit_id == unit_id
    return actor.role in OVERSEERS


def lines_for(session: Session, actor, unit_id: int, fiscal_year: int | None = None
              ) -> list[BudgetLine]:
    if not can_see_unit(actor, unit_id):
        raise Forbidden("无权查看其他单位的预算指标", code="unit_forbidden")
    query = select(BudgetLine).where(BudgetLine.unit_id == unit_id)
    if fiscal_year is not None:
        query = query.where(BudgetLine.fiscal_year == fiscal_year)
    return list(session.scalars(query.order_by(BudgetLine.fiscal_year.desc(), BudgetLine.id)))


def _positive(amount: Decimal) -> Decimal:
    amount = to_money(amount)
    if amount <= 0:
        raise field_error("amount", "金额必须大于 0")
    return amount


def _apply(session: Session, line_id: int, values: dict, condition, *, failure: Exception,
           actor, action: str, amount: Decimal, ref: str | None) -> BudgetLine:
    result = session.execute(
        update(BudgetLine).where(BudgetLine.id == line_id, condition).values(**values)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        if session.get(BudgetLine, line_id) is None:
            raise NotFound("预算指标不存在", code="budget_line_not_found")
        raise failure
    line = session.get(BudgetLine, line_id)
    session.refresh(line)
    audit.record(session, actor, action, "budget_line", line_id,
                 after={"amount": amount, "ref": ref, "frozen": line.frozen,
                        "spent": line.spent})
    return line


def freeze(session: Session, actor, line_id: int, amount: Decimal, *, ref: str | None = None
           ) -> BudgetLine:
    """Reserve `amount` of the line's available budget (预算冻结)."""
    amount = _positive(amount)
    col = BudgetLine
    return _apply(
        session, line_id, {"frozen": col.frozen + amount},
        col.amount - col.frozen - col.spent >= amount,
        failure=InsufficientBudget(f"预算指标可用余额不足，无法冻结 ¥{amount:,.2f}"),
        actor=actor, action="budget_line.freeze", amount=amount, ref=ref)


def release(session: Session, actor, line_id: int, amount: Decimal, *, ref: str | None = None
            ) -> BudgetLine:
    """Give back frozen budget (解冻), e.g. when an order is cancelled."""
    amount = _positive(amount)
    col = BudgetLine
    return _apply(
        session, line_id, {"frozen": col.frozen - amount}, col.frozen >= amount,
        failure=Conflict(f"冻结金额不足 ¥{amount:,.2f}，无法解冻", code="budget_release_exceeds"),
        actor=actor, action="budget_line.release", amount=amount, ref=ref)


def spend(session: Session, actor, line_id: int, amount: Decimal, *, ref: str | None = None
          ) -> BudgetLine:
    """Turn frozen budget into spent (支付), when the supplier is paid."""
    amount = _positive(amount)
    col = BudgetLine
    return _apply(
        session, line_id, {"frozen": col.frozen - amount, "spent": col.spent + amount},
        col.frozen >= amount,
        failure=Conflict(f"冻结金额不足 ¥{amount:,.2f}，无法支付", code="budget_spend_exceeds"),
        actor=actor, action="budget_line.spend", amount=amount, ref=ref)


def unspend(session: Session, actor, line_id: int, amount: Decimal, *, ref: str | None = None
            ) -> BudgetLine:
    """Give back spent budget (退款退回指标) when a paid order is returned and refunded."""
    amount = _positive(amount)
    col = BudgetLine
    return _apply(
        session, line_id, {"spent": col.spent - amount}, col.spent >= amount,
        failure=Conflict(f"已支付金额不足 ¥{amount:,.2f}，无法退回", code="budget_unspend_exceeds"),
        actor=actor, action="budget_line.unspend", amount=amount, ref=ref)

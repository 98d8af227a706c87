"""orders/budget.py: units, lines, freeze/release/spend, and who may see which lines."""

from __future__ import annotations

from decimal import Decimal

import pytest

from mall.audit import AuditEvent
from mall.errors import Conflict, Forbidden, ValidationFailed
from mall.roles import Role
from orders import budget
from orders.budget import InsufficientBudget
from tests import factories


def test_freeze_release_spend_move_money_between_columns(db):
    unit = factories.unit(db)
    line = factories.line(db, unit.id, amount="1000.00")
    budget.freeze(db, None, line.id, Decimal("300.00"), ref="order-1")
    budget.spend(db, None, line.id, Decimal("200.00"), ref="order-1")
    line = budget.release(db, None, line.id, Decimal("100.00"), ref="order-1")
    assert (line.amount, line.frozen, line.spent, line.available) == (
        Decimal("1000.00"), Decimal("0.00"), Decimal("200.00"), Decimal("800.00"))
    actions = [e.action for e in db.query(AuditEvent).filter_by(
        entity_type="budget_line", entity_id=str(line.id)).order_by(AuditEvent.id)]
    assert actions == ["budget_line.create", "budget_line.freeze", "budget_line.spend",
                       "budget_line.release"]


def test_freeze_beyond_available_is_refused_and_changes_nothing(db):
    line = factories.line(db, factories.unit(db).id, amount="500.00")
    budget.freeze(db, None, line.id, Decimal("400.00"))
    with pytest.raises(InsufficientBudget) as exc:
        budget.freeze(db, None, line.id, Decimal("100.01"))
    assert exc.value.code == "budget_insufficient"
    assert "可用余额不足" in exc.value.message
    db.refresh(line)
    assert line.frozen == Decimal("400.00")


def test_release_and_spend_cannot_exceed_frozen(db):
    line = factories.line(db, factories.unit(db).id, amount="500.00")
    budget.freeze(db, None, line.id, Decimal("50.00"))
    with pytest.raises(Conflict):
        budget.release(db, None, line.id, Decimal("50.01"))
    with pytest.raises(Conflict):
        budget.spend(db, None, line.id, Decimal("60.00"))
    db.refresh(line)
    assert (line.frozen, line.spent) == (Decimal("50.00"), Decimal("0.00"))


@pytest.mark.parametrize("amount", ["0", "-5", "abc"])
def test_non_positive_or_bad_amounts_are_refused(db, amount):
    line = factories.line(db, factories.unit(db).id)
    with pytest.raises((ValidationFailed, ValueError)):
        budget.freeze(db, None, line.id, amount)


def test_duplicate_line_name_in_a_year_is_a_conflict(db):
    unit = factories.unit(db)
    factories.line(db, unit.id, name="2026年办公用品")
    with pytest.raises(Conflict) as exc:
        factories.line(db, unit.id, name="2026年办公用品")
    assert exc.value.code == "budget_line_exists"


def test_buyer_sees_only_own_units_lines(db):
    own, other = factories.unit(db), factories.unit(db)
    factories.line(db, own.id)
    factories.line(db, other.id)
    buyer = factories.user(db, Role.BUYER, budget_unit_id=own.id)
    assert len(budget.lines_for(db, buyer, own.id)) == 1
    with pytest.raises(Forbidden):
        budget.lines_for(db, buyer, other.id)


@pytest.mark.parametrize("role", [Role.SUPPLIER, Role.AGENCY])
def test_roles_without_business_are_refused_unit_lines(db, role):
    unit = factories.unit(db)
    with pytest.raises(Forbidden):
        budget.lines_for(db, factories.user(db, role), unit.id)


@pytest.mark.parametrize("role", [Role.OPERATOR, Role.REGULATOR, Role.ADMIN])
def test_overseers_see_any_unit(db, role):
    unit = factories.unit(db)
    factories.line(db, unit.id)
    assert len(budget.lines_for(db, factories.user(db, role), unit.id)) == 1

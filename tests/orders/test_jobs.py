"""`mall jobs` cancels orders the supplier did not confirm in time."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from mall.cli import main
from orders.models import BudgetLine, Order
from tests import factories


def test_jobs_cancels_unconfirmed_orders_and_releases_budget(app, db):
    order, _, _ = factories.order(db)
    order.confirm_by = date.today() - timedelta(days=1)
    db.flush()
    result = app.test_cli_runner().invoke(main, ["jobs"])
    assert result.exit_code == 0, result.output
    assert "自动取消的订单" in result.output
    db.expire_all()
    assert db.get(Order, order.id).status == "cancelled"
    assert db.get(BudgetLine, order.budget_line_id).frozen == Decimal("0.00")


def test_jobs_reports_every_step_once_in_order(app, db):
    result = app.test_cli_runner().invoke(main, ["jobs"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    expected = ("恢复到期暂停/禁止的供应商", "供应商逾期未确认、自动取消的订单",
                "即将过期、提交重新授权的公务卡预授权", "支付服务曾不可达、重新提交的支付操作",
                "到期的框架协议")
    assert [line.split("：")[0] for line in lines] == list(expected)

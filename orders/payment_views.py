"""Pages: the payment section of an order, contract PDF, treasury instructions (finance),
contracts and 政采贷 financing (supplier). Also `on_order_transition`, which the order pages
and API call after a transition so payments follow the order."""

from __future__ import annotations

import io
import secrets

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from mall.errors import DomainError
from mall.roles import Role
from mall.web import config, db, load, load_form, page_roles, paginate, safe_next
from orders import contracts, flow, payments, treasury
from orders.models import (
    INSTRUCTION_STATUS_LABELS,
    Contract,
    InstructionStatus,
    Order,
    Payment,
)
from orders.payment_schemas import DecisionIn, FinancingIn, InstructionQuery, PayeeIn, RefundIn

bp = Blueprint("payments", __name__, template_folder="templates")


# --- order transitions drive payments (the order pages and API call this) ------------------------

def on_order_transition(actor, order: Order, action: str) -> list[int]:
    """Call after a successful order transition (confirm, accept, cancel, …) in a request:
    records the payment operations it implies; the outbox executes them after commit."""
    return payments.after_transition(db(), actor, order, action,
                                     term_days=config().payment_term_days)


@bp.app_context_processor
def payment_helpers():
    return {"payment_panel": payment_panel}


def payment_panel(order: Order) -> dict:
    """What the order page shows in its payment section (see orders/_payment.html)."""
    session = db()
    payment = payments.get_payment(session, order.id)
    contract = session.scalar(select(Contract).where(Contract.order_id == order.id))
    return {
        "payment": payment,
        "entries": payments.entries_of(session, payment.id) if payment else [],
        "failed": payments.failed_entry(session, payment),
        "can_retry": current_user.is_authenticated and payments.can_retry(current_user, order),
        "contract": contract,
        "can_download": contract is not None and contracts.can_access(current_user, order),
    }


# --- buyer: payment section and retry -------------------------------------------------------------

@bp.get("/orders/<int:order_id>/payment")
@page_roles(Role.BUYER, Role.SUPPLIER, Role.FINANCE, Role.OPERATOR, Role.REGULATOR, Role.ADMIN)
def order_payment(order_id: int):
    order = flow.get_order(db(), current_user, order_id)
    return render_template("orders/payment.html", order=order, panel=payment_panel(order))


@bp.post("/orders/<int:order_id>/payment/retry")
@page_roles(Role.BUYER, Role.FINANCE, Role.ADMIN)
def retry_payment(order_id: int):
    load_form(DecisionIn())  # the form carries only the CSRF token
    payments.retry(db(), current_user, order_id)
    flash("已重新提交支付，请稍后刷新查看结果", "info")
    return redirect(safe_next(request.form.get("next"))
                    or url_for("payments.order_payment", order_id=order_id))


@bp.get("/orders/<int:order_id>/contract.pdf")
@page_roles(Role.BUYER, Role.SUPPLIER)
def contract_pdf(order_id: int):
    session = db()
    contract = contracts.contract_for(session, current_user, order_id)
    pdf = contracts.render_pdf(contracts.document(session, contract))
    return send_file(io.BytesIO(pdf), mimetype="application/pdf", as_attachment=True,
                     download_name=f"{contract.number}.pdf")


# --- finance: treasury instructions and refunds ---------------------------------------------------

@bp.get("/finance/instructions")
@page_roles(Role.FINANCE)
def finance_instructions():
    args = load(InstructionQuery(), {k: v for k, v in request.args.items() if v})
    page = paginate(db(), treasury.instructions_query(args.get("status")), args["page"],
                    args["per_page"])
    failing = db().scalars(select(Payment).options(selectinload(Payment.order))
                           .where(Payment.last_error.is_not(None))
                           .order_by(Payment.updated_at.desc()).limit(50))
    return render_template("orders/finance_instructions.html", page=page, args=args,
                           labels=INSTRUCTION_STATUS_LABELS, statuses=list(InstructionStatus),
                           failing=list(failing))


@bp.post("/finance/instructions/<int:instruction_id>/<any(confirm, reject):decision>")
@page_roles(Role.FINANCE)
def decide_instruction(instruction_id: int, decision: str):
    data = load_form(DecisionIn())
    instruction = payments.decide_instruction(db(), current_user, instruction_id,
                                              confirm=decision == "confirm",
                                              reason=data.get("reason"))
    flash(f"支付指令 {instruction.number} {'已确认支付' if decision == 'confirm' else '已退回'}",
          "success")
    return redirect(url_for("payments.finance_instructions"))


@bp.route("/finance/orders/<int:order_id>/refund", methods=["GET", "POST"])
@page_roles(Role.FINANCE, Role.ADMIN)
def refund_order(order_id: int):
    session = db()
    order = flow.get_order(session, current_user, order_id)
    error, form, status = None, {}, 200
    if request.method == "POST":
        form = dict(request.form)
        try:
            data = load_form(RefundIn())
            payments.refund(session, current_user, order_id, client_key=data["key"],
                            amount=data["amount"], reason=data["reason"])
            flash("退款已提交", "success")
            return redirect(url_for("payments.order_payment", order_id=order_id))
        except DomainError as err:
            error, status = err, err.status
    return render_template("orders/refund.html", order=order, panel=payment_panel(order),
                           error=error, form=form, key=secrets.token_hex(8)), status


# --- supplier: contracts and 政采贷 ----------------------------------------------------------------

@bp.get("/supplier/contracts")
@page_roles(Role.SUPPLIER)
def supplier_contracts():
    rows = db().scalars(select(Contract).join(Order, Order.id == Contract.order_id)
                        .where(Order.supplier_id == current_user.supplier_id)
                        .order_by(Contract.id.desc()))
    return render_template("orders/supplier_contracts.html", contracts=list(rows))


@bp.route("/supplier/contracts/<int:contract_id>/<any(financing, payee):what>",
          methods=["GET", "POST"])
@page_roles(Role.SUPPLIER)
def contract_form(contract_id: int, what: str):
    session = db()
    contract = session.get(Contract, contract_id)
    if contract is None or contract.order.supplier_id != current_user.supplier_id:
        abort(404)
    error, form, status = None, {}, 200
    if request.method == "POST":
        form = dict(request.form)
        try:
            if what == "financing":
                contracts.declare_financing(session, current_user, contract_id,
                                            **load_form(FinancingIn()))
                flash("已登记政采贷，合同收款账户已锁定", "success")
            else:
                contracts.change_payee(session, current_user, contract_id,
                                       **load_form(PayeeIn()))
                flash("收款账户已变更", "success")
            return redirect(url_for("payments.supplier_contracts"))
        except DomainError as err:
            error, status = err, err.status
    return render_template("orders/contract_form.html", contract=contract, what=what,
                           error=error, form=form), status

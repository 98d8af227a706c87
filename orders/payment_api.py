"""API: order payments (status, retry, refund), contract PDF and financing, treasury
instructions (finance), and the Stripe webhook (/api/v1/payments/stripe/webhook)."""

from __future__ import annotations

import io

from flask import request, send_file
from flask.views import MethodView
from flask_smorest import Blueprint

from mall.errors import DomainError, NotFound
from mall.roles import Role
from mall.web import api_actor, api_roles, config, db, paginate
from orders import contracts, flow, payments, treasury
from orders.payment_schemas import (
    ContractOut,
    DecisionIn,
    FinancingIn,
    InstructionOut,
    InstructionPage,
    InstructionQuery,
    PayeeIn,
    PaymentOut,
    RefundIn,
    RetryOut,
    WebhookOut,
)
from orders.stripe_gateway import StripeGateway, WebhookSignatureInvalid

blp = Blueprint("payments_api", __name__, description="支付、国库支付指令与合同")

VIEWERS = (Role.BUYER, Role.SUPPLIER, Role.FINANCE, Role.OPERATOR, Role.REGULATOR, Role.ADMIN)


def _payment_view(order_id: int) -> dict:
    """The payment with its entries, for PaymentOut."""
    session = db()
    payment = payments.get_payment(session, order_id)
    if payment is None:
        raise NotFound("该订单尚无支付记录", code="payment_not_found")
    data = {name: getattr(payment, name) for name in PaymentOut().fields if name != "entries"}
    data["entries"] = payments.entries_of(session, payment.id)
    return data


@blp.route("/orders/<int:order_id>/payment")
class OrderPayment(MethodView):
    @api_roles(*VIEWERS)
    @blp.response(200, PaymentOut)
    def get(self, order_id):
        """The order's payment ledger (visible to whoever may see the order)."""
        flow.get_order(db(), api_actor(), order_id)
        return _payment_view(order_id)


@blp.route("/orders/<int:order_id>/payment/retry")
class RetryPayment(MethodView):
    @api_roles(Role.BUYER, Role.FINANCE, Role.ADMIN)
    @blp.response(202, RetryOut)
    def post(self, order_id):
        """Retry failed payment operations (same idempotency key when retryable)."""
        ids = payments.retry(db(), api_actor(), order_id)
        return {"entries": ids, "payment": _payment_view(order_id)}


@blp.route("/orders/<int:order_id>/payment/refunds")
class Refunds(MethodView):
    @api_roles(Role.FINANCE, Role.ADMIN)
    @blp.arguments(RefundIn)
    @blp.response(202, PaymentOut)
    def post(self, data, order_id):
        """Refund captured money; `key` makes a repeated request refund once."""
        payments.refund(db(), api_actor(), order_id, amount=data["amount"],
                        reason=data["reason"], client_key=data["key"])
        return _payment_view(order_id)


@blp.route("/orders/<int:order_id>/contract")
class OrderContract(MethodView):
    @api_roles(Role.BUYER, Role.SUPPLIER)
    @blp.response(200, ContractOut)
    def get(self, order_id):
        """The order's contract — for the buyer unit and the supplier only."""
        return contracts.contract_for(db(), api_actor(), order_id)


@blp.route("/orders/<int:order_id>/contract.pdf")
class OrderContractPdf(MethodView):
    @api_roles(Role.BUYER, Role.SUPPLIER)
    @blp.response(200, content_type="application/pdf")
    def get(self, order_id):
        session = db()
        contract = contracts.contract_for(session, api_actor(), order_id)
        pdf = contracts.render_pdf(contracts.document(session, contract))
        return send_file(io.BytesIO(pdf), mimetype="application/pdf", as_attachment=True,
                         download_name=f"{contract.number}.pdf")


@blp.route("/contracts/<int:contract_id>/financing")
class Financing(MethodView):
    @api_roles(Role.SUPPLIER)
    @blp.arguments(FinancingIn)
    @blp.response(200, ContractOut)
    def post(self, data, contract_id):
        """政采贷: record the financing; the payee account is locked from now on."""
        return contracts.declare_financing(db(), api_actor(), contract_id, **data)


@blp.route("/contracts/<int:contract_id>/payee")
class Payee(MethodView):
    @api_roles(Role.SUPPLIER)
    @blp.arguments(PayeeIn)
    @blp.response(200, ContractOut)
    def put(self, data, contract_id):
        """Change the payee account (refused once the contract is financed)."""
        return contracts.change_payee(db(), api_actor(), contract_id, **data)


@blp.route("/treasury/instructions")
class Instructions(MethodView):
    @api_roles(Role.FINANCE)
    @blp.arguments(InstructionQuery, location="query")
    @blp.response(200, InstructionPage)
    def get(self, args):
        """国库支付指令, newest first (filter by status)."""
        return paginate(db(), treasury.instructions_query(args.get("status")), args["page"],
                        args["per_page"])


@blp.route("/treasury/instructions/<int:instruction_id>/<any(confirm, reject):decision>")
class Decide(MethodView):
    @api_roles(Role.FINANCE)
    @blp.arguments(DecisionIn)
    @blp.response(200, InstructionOut)
    def post(self, data, instruction_id, decision):
        """Confirm (the order is paid) or reject (with a reason) a payment instruction."""
        return payments.decide_instruction(db(), api_actor(), instruction_id,
                                           confirm=decision == "confirm",
                                           reason=data.get("reason"))


@blp.route("/payments/stripe/webhook")
class StripeWebhook(MethodView):
    @blp.response(200, WebhookOut)
    def post(self):
        """Stripe events: the signature is verified (400 otherwise); each event id is
        recorded once — a duplicate is acknowledged (200) and ignored."""
        gateway = StripeGateway.from_config(config())
        try:
            event = gateway.parse_webhook(request.get_data(),
                                          request.headers.get("Stripe-Signature"))
        except WebhookSignatureInvalid as err:
            raise DomainError(err.message, code="webhook_signature_invalid", status=400) \
                from None
        new = payments.record_stripe_event(db(), event)
        return {"received": True, "duplicate": not new}

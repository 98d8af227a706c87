"""The payment ledger (支付台账) and how order events move money.

An order's `Payment` holds the method, the provider's reference and the running amounts;
every operation on it is a `PaymentEntry` (authorise, re-authorise, capture, void, refund)
with its amount, status, provider reference and a deterministic idempotency key
(`order-<id>-<kind>-<attempt>`), unique in the table.

Two steps, so a provider failure never leaves the order inconsistent:
1. **request** (in the request's transaction, with the order change): `after_transition`
   records the entry as `pending` and emits an outbox event (`payments.execute`, key = entry
   id); nothing external happens, nothing commits.
2. **execute** (after that commit, when the outbox delivers the event — inline after the
   request or in `mall worker`): `Executor.execute` locks the entry, returns at once unless it
   is still pending, calls the gateway with the entry's key and records the outcome in the
   delivery's transaction. A capture that succeeds runs the order's `pay` transition (frozen
   budget → spent, remainder released) in that same transaction. Should the process die
   after the provider call, the transaction rolls back, the event stays pending and the
   repeat carries the same key.

A failed call leaves the entry `failed` with the message on the payment ("支付失败，可重试");
`retry` puts a retryable entry back to `pending` with the SAME key (so a call that did reach
the provider is not repeated as a new charge) or, after a refusal (card declined, instruction
rejected), opens the next attempt. Two submits of the same operation find the same entry.

Treasury payments (国库集中支付) use the same ledger: their capture stays `awaiting` until
finance staff confirm the instruction (`decide_instruction`), which completes the payment.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mall import audit
from mall.clock import utcnow
from mall.db import insert_once
from mall.errors import Conflict, DomainError, Forbidden, NotFound, field_error
from mall.money import to_money
from mall.outbox import OutboxEvent, emit
from mall.roles import Role
from orders import contracts, flow, treasury
from orders.gateway import GatewayError, GatewayResult, PaymentGateway, ResultStatus
from orders.models import (
    EntryKind,
    EntryStatus,
    Order,
    OrderStatus,
    Payment,
    PaymentEntry,
    PaymentMethod,
    PaymentStatus,
    StripeEvent,
)

log = logging.getLogger(__name__)

K, E, P = EntryKind, EntryStatus, PaymentStatus
OPEN_ENTRY = (E.PENDING.value, E.AWAITING.value)
TOPIC = "payments.execute"  # outbox topic; key = PaymentEntry.id

GatewayFor = Callable[[str, Session], PaymentGateway]  # (payment method, session) → gateway


def idempotency_key(order_id: int, kind: str, seq: int) -> str:
    return f"order-{order_id}-{kind}-{seq}"


# --- reading ------------------------------------------------------------------------------------

def get_payment(session: Session, order_id: int, *, lock: bool = False) -> Payment | None:
    query = select(Payment).where(Payment.order_id == order_id)
    if lock:
        query = query.with_for_update()
    return session.scalar(query)


def entries_of(session: Session, payment_id: int) -> list[PaymentEntry]:
    return list(session.scalars(select(PaymentEntry).where(PaymentEntry.payment_id == payment_id)
                                .order_by(PaymentEntry.id)))


def failed_entry(session: Session, payment: Payment | None) -> PaymentEntry | None:
    """The latest entry, when it failed: the page shows "支付失败，可重试"."""
    if payment is None:
        return None
    latest = session.scalar(select(PaymentEntry).where(PaymentEntry.payment_id == payment.id)
                            .order_by(PaymentEntry.id.desc()).limit(1))
    return latest if latest is not None and latest.status == E.FAILED.value else None


def can_retry(actor, order: Order) -> bool:
    role = flow.role_of(actor)
    if role == Role.BUYER:
        return order.unit_id == actor.budget_unit_id
    return role in (Role.FINANCE, Role.ADMIN, flow.SYSTEM)


# --- step 1: requesting operations (inside the caller's transaction) ----------------------------

def open_payment(session: Session, order: Order) -> Payment:
    payment = get_payment(session, order.id, lock=True)
    if payment is None:
        provider = "stripe" if order.payment_method == PaymentMethod.CARD.value else "treasury"
        payment = Payment(order_id=order.id, method=order.payment_method, provider=provider,
                          status=P.NEW.value, authorised_amount=Decimal("0.00"),
                          captured_amount=Decimal("0.00"), refunded_amount=Decimal("0.00"))
        session.add(payment)
        session.flush()
    return payment


def _latest(session: Session, payment: Payment, kind: str) -> PaymentEntry | None:
    return session.scalar(select(PaymentEntry).where(
        PaymentEntry.payment_id == payment.id, PaymentEntry.kind == kind)
        .order_by(PaymentEntry.seq.desc()).limit(1))


def request(session: Session, actor, payment: Payment, kind: EntryKind, amount: Decimal
            ) -> PaymentEntry:
    """Record one operation as pending. Asking again for an operation that is pending,
    in flight, done, or failed-but-retryable returns that same entry (double submit → one
    entry, one provider call); a refused one (declined, rejected) opens the next attempt."""
    latest = _latest(session, payment, kind.value)
    if latest is not None and (latest.status != E.FAILED.value or latest.retryable):
        return latest
    return next_entry(session, actor, payment, kind, amount)


def next_entry(session: Session, actor, payment: Payment, kind: EntryKind, amount: Decimal
               ) -> PaymentEntry:
    """The next attempt of `kind` (key `order-<id>-<kind>-<n+1>`), pending, emitted."""
    latest = _latest(session, payment, kind.value)
    seq = (latest.seq + 1) if latest is not None else 1
    entry = PaymentEntry(payment_id=payment.id, kind=kind.value, seq=seq,
                         amount=to_money(amount), status=E.PENDING.value,
                         idempotency_key=idempotency_key(payment.order_id, kind.value, seq),
                         actor_id=getattr(actor, "id", None), attempts=0, retryable=False)
    session.add(entry)
    session.flush()
    emit(session, TOPIC, entry.id)
    audit.record(session, actor, f"payment.{kind.value}_requested", "payment", payment.id,
                 after={"entry": entry.id, "amount": entry.amount, "key": entry.idempotency_key})
    return entry


def _authorised(session: Session, payment: Payment) -> bool:
    """Money is held (or about to be): an authorisation that has not been voided."""
    auth = _latest(session, payment, K.AUTHORISE.value)
    return auth is not None and (auth.status != E.FAILED.value or auth.retryable) \
        and payment.status not in (P.VOIDED.value, P.CAPTURED.value, P.REFUNDED.value)


def _drop_open(session: Session, payment: Payment, kinds: tuple[str, ...], why: str) -> None:
    """Pending/failed operations that no longer make sense (the order was cancelled)."""
    for entry in session.scalars(select(PaymentEntry).where(
            PaymentEntry.payment_id == payment.id, PaymentEntry.kind.in_(kinds),
            PaymentEntry.status.in_((E.PENDING.value, E.FAILED.value)))):
        entry.status = E.FAILED.value
        entry.retryable = False
        entry.error = why


def after_transition(session: Session, actor, order: Order, action: str, *,
                     term_days: int = 30) -> list[int]:
    """Record the payment operations an order transition calls for (each emits an outbox
    event, delivered after commit); returns the ids of the new pending entries.

    confirm → contract + authorise (card hold; treasury: budget already frozen);
    accept (pass/partial) → capture the accepted amount (a partial capture releases the rest);
    fail_acceptance, cancel, refuse, confirm_return → void the hold, or refund what was taken.
    """
    ids: list[int] = []
    if action == "accept" and order.status == OrderStatus.ACCEPTANCE_FAILED.value:
        action = "fail_acceptance"  # flow.accept records a failed acceptance this way
    if action == "confirm":
        contracts.create_contract(session, order, term_days=term_days)
        payment = open_payment(session, order)
        ids.append(request(session, actor, payment, K.AUTHORISE, order.total).id)
    elif action == "accept" and order.status == OrderStatus.ACCEPTED.value:
        payment = open_payment(session, order)
        ids.append(request(session, actor, payment, K.CAPTURE, order.accepted_amount).id)
    elif action in ("fail_acceptance", "cancel", "refuse", "auto_cancel", "confirm_return"):
        payment = get_payment(session, order.id, lock=True)
        if payment is None:
            return ids
        remaining = payment.captured_amount - payment.refunded_amount - _refunding(session,
                                                                                     payment)
        if remaining > 0:
            ids.append(_refund_entry(session, actor, payment, remaining, f"on-{action}").id)
        elif _authorised(session, payment):
            _drop_open(session, payment,
                       (K.AUTHORISE.value, K.CAPTURE.value, K.REAUTHORISE.value),
                       "订单已终止，无需扣款")
            ids.append(request(session, actor, payment, K.VOID, payment.authorised_amount
                               or order.total).id)
    return [i for i in ids if _is_open(session, i)]


def _is_open(session: Session, entry_id: int) -> bool:
    return session.get(PaymentEntry, entry_id).status == E.PENDING.value


def refund(session: Session, actor, order_id: int, *, amount: Decimal, reason: str,
           client_key: str) -> PaymentEntry:
    """A refund of captured money (after-sale return 售后退货) asked by finance or admin.
    `client_key` comes from the form or the API client, so a double submit refunds once."""
    if flow.role_of(actor) not in (Role.FINANCE, Role.ADMIN):
        raise Forbidden("只有财政支付人员或管理员可以发起退款", code="refund_forbidden")
    reason = (reason or "").strip()
    if not reason:
        raise field_error("reason", "请填写退款原因")
    order = flow.get_order(session, actor, order_id)
    payment = get_payment(session, order.id, lock=True)
    if payment is None or payment.captured_amount <= 0:
        raise Conflict("该订单没有已支付的款项，无法退款", code="nothing_to_refund")
    existing = session.scalar(select(PaymentEntry).where(
        PaymentEntry.idempotency_key == _refund_key(order.id, f"c-{client_key}")))
    if existing is not None:
        return existing
    amount = to_money(amount)
    left = payment.captured_amount - payment.refunded_amount - _refunding(session, payment)
    if amount <= 0 or amount > left:
        raise field_error("amount", f"退款金额应大于 0 且不超过可退金额 ¥{left:,.2f}")
    entry = _refund_entry(session, actor, payment, amount, f"c-{client_key}")
    audit.record(session, actor, "payment.refund_reason", "payment", payment.id,
                 after={"entry": entry.id, "reason": reason})
    return entry


def _refund_key(order_id: int, suffix: str) -> str:
    return f"order-{order_id}-refund-{suffix}"


def _refunding(session: Session, payment: Payment) -> Decimal:
    """Refunds asked for and not yet done (pending, or awaiting finance)."""
    return Decimal(session.scalar(select(func.coalesce(func.sum(PaymentEntry.amount), 0)).where(
        PaymentEntry.payment_id == payment.id, PaymentEntry.kind == K.REFUND.value,
        PaymentEntry.status.in_(OPEN_ENTRY))))


def _refund_entry(session: Session, actor, payment: Payment, amount: Decimal, suffix: str
                  ) -> PaymentEntry:
    """A refund keyed by its cause (the client's key, or the order action): the same cause
    refunds once; several causes may refund parts of the captured amount."""
    key = _refund_key(payment.order_id, suffix)
    existing = session.scalar(select(PaymentEntry).where(PaymentEntry.idempotency_key == key))
    if existing is not None:
        return existing
    seq = (session.scalar(select(func.count()).where(
        PaymentEntry.payment_id == payment.id, PaymentEntry.kind == K.REFUND.value)) or 0) + 1
    entry = PaymentEntry(payment_id=payment.id, kind=K.REFUND.value, seq=seq,
                         amount=to_money(amount), status=E.PENDING.value, idempotency_key=key,
                         attempts=0, retryable=False, actor_id=getattr(actor, "id", None))
    session.add(entry)
    session.flush()
    emit(session, TOPIC, entry.id)
    audit.record(session, actor, "payment.refund_requested", "payment", payment.id,
                 after={"entry": entry.id, "amount": entry.amount, "key": key})
    return entry


def retry(session: Session, actor, order_id: int) -> list[int]:
    """"重试": failed operations go again — retryable ones with the same key, refused ones as
    the next attempt. Returns the entry ids (each emitted to the outbox again)."""
    order = flow.get_order(session, actor, order_id)
    if not can_retry(actor, order):
        raise Forbidden("无权重试该订单的支付", code="payment_retry_forbidden")
    payment = get_payment(session, order.id, lock=True)
    if payment is None:
        raise NotFound("该订单尚无支付记录", code="payment_not_found")
    ids = []
    for entry in entries_of(session, payment.id):
        if entry.status == E.FAILED.value and entry.retryable:
            entry.status = E.PENDING.value
            entry.error = None
            emit(session, TOPIC, entry.id)
            ids.append(entry.id)
    live = order.status in (OrderStatus.CONFIRMED.value, OrderStatus.SHIPPED.value,
                            OrderStatus.DELIVERED.value, OrderStatus.ACCEPTED.value)
    if not ids and live:
        card = payment.provider == "stripe"
        for kind in (K.AUTHORISE, K.REAUTHORISE, K.CAPTURE):
            latest = _latest(session, payment, kind.value)
            if latest is None or latest.status != E.FAILED.value or latest.retryable \
                    or (latest.error or "").startswith("订单已终止"):
                continue
            if kind is K.CAPTURE and card and payment.provider_ref:
                # a refused capture usually means the hold lapsed: hold again, then capture
                ids.append(next_entry(session, actor, payment, K.REAUTHORISE,
                                      payment.authorised_amount or latest.amount).id)
            ids.append(next_entry(session, actor, payment, kind, latest.amount).id)
        if not ids and payment.status == P.FAILED.value and payment.provider_ref:
            # the hold lapsed (webhook): authorise again on the same card
            ids.append(next_entry(session, actor, payment, K.REAUTHORISE, order.total).id)
    if not ids:
        raise Conflict("没有可重试的支付操作", code="nothing_to_retry")
    payment.last_error = None
    audit.record(session, actor, "payment.retry", "payment", payment.id, after={"entries": ids})
    return ids


def retry_unreachable(session: Session, *, now: datetime | None = None,
                      min_age: timedelta = timedelta(minutes=5)) -> list[int]:
    """`mall jobs`: operations that failed only because the provider was unreachable go again
    by themselves (same key), `min_age` after the failed attempt."""
    cutoff = (now or utcnow()) - min_age
    ids = []
    for entry in session.scalars(select(PaymentEntry).where(
            PaymentEntry.status == E.FAILED.value, PaymentEntry.retryable.is_(True),
            PaymentEntry.completed_at <= cutoff).order_by(PaymentEntry.id).with_for_update()):
        entry.status = E.PENDING.value
        emit(session, TOPIC, entry.id)
        ids.append(entry.id)
    return ids


def reauthorise_expiring(session: Session, *, now: datetime | None = None,
                         margin_days: int = 2) -> list[int]:
    """`mall jobs`: card holds that lapse within `margin_days` on orders not yet accepted get
    a new authorisation (Stripe card holds last 7 days; delivery can take longer)."""
    now = now or utcnow()
    horizon = now + timedelta(days=margin_days)
    rows = session.scalars(
        select(Payment).join(Order, Order.id == Payment.order_id).where(
            Payment.provider == "stripe", Payment.status == P.AUTHORISED.value,
            Payment.authorisation_expires_at <= horizon,
            Order.status.in_((OrderStatus.CONFIRMED.value, OrderStatus.SHIPPED.value,
                              OrderStatus.DELIVERED.value)))
        .order_by(Payment.id))
    ids = []
    for payment in rows:
        open_ = session.scalar(select(func.count()).where(
            PaymentEntry.payment_id == payment.id, PaymentEntry.status.in_(OPEN_ENTRY)))
        if open_:
            continue
        ids.append(next_entry(session, None, payment, K.REAUTHORISE,
                              payment.authorised_amount).id)
    return ids


# --- step 2: executing (the outbox delivers the entry after commit) -------------------------------

class Executor:
    """Executes pending entries against the gateways inside the caller's transaction (the
    outbox delivery's): lock the entry, call the provider with its key, record the outcome."""

    def __init__(self, gateway_for: GatewayFor, *, auth_valid_days: int = 7):
        self.gateway_for = gateway_for
        self.auth_valid_days = auth_valid_days

    def handle(self, session: Session, event_: OutboxEvent) -> None:
        """The outbox handler for `payments.execute`."""
        self.execute(session, int(event_.key))

    def execute(self, session: Session, entry_id: int) -> str:
        """Execute one entry; returns its status afterwards. An entry that is no longer
        pending (done, failed, or executed by a concurrent delivery) is left as it is.
        Provider errors are recorded on the entry and the payment, never raised."""
        entry = session.scalar(select(PaymentEntry).where(PaymentEntry.id == entry_id)
                               .with_for_update())
        if entry is None or entry.status != E.PENDING.value:
            return entry.status if entry is not None else "missing"
        payment = session.scalar(select(Payment).where(Payment.id == entry.payment_id)
                                 .with_for_update())
        order = session.get(Order, payment.order_id)
        entry.attempts += 1
        try:
            result = self._call(self.gateway_for(payment.method, session), entry, payment, order)
        except GatewayError as err:
            record_failure(session, entry, payment, err.message, err.retryable)
            return entry.status
        record_result(session, None, entry, payment, result,
                      auth_valid_days=self.auth_valid_days)
        return entry.status

    @staticmethod
    def _call(gateway: PaymentGateway, entry: PaymentEntry, payment: Payment, order: Order
              ) -> GatewayResult:
        kind, amount, key, reference = (entry.kind, entry.amount, entry.idempotency_key,
                                        payment.provider_ref)
        if kind == K.AUTHORISE.value:
            return gateway.authorise(amount=amount, order_ref=order.number, idempotency_key=key,
                                     metadata={"order_id": str(order.id)})
        if reference is None:
            if kind == K.VOID.value:  # nothing was ever held
                return GatewayResult(ResultStatus.VOIDED, "", amount, "nothing_held")
            raise _NotAuthorised("尚未完成预授权，请先重试预授权")
        if kind == K.REAUTHORISE.value:
            return gateway.reauthorise(reference, amount=amount, order_ref=order.number,
                                       idempotency_key=key)
        if kind == K.CAPTURE.value:
            return gateway.capture(reference, amount=amount, idempotency_key=key)
        if kind == K.VOID.value:
            return gateway.cancel(reference, idempotency_key=key)
        if kind == K.REFUND.value:
            return gateway.refund(reference, amount=amount, idempotency_key=key)
        raise ValueError(f"unknown entry kind {kind}")


class _NotAuthorised(GatewayError):
    retryable = True


def record_failure(session: Session, entry: PaymentEntry, payment: Payment, message: str,
                   retryable: bool) -> None:
    entry.status = E.FAILED.value
    entry.retryable = retryable
    entry.error = message[:2000]
    entry.completed_at = utcnow()  # when the attempt ended (see retry_unreachable)
    payment.last_error = f"{entry.kind_label}失败：{message}"[:2000]
    if entry.kind == K.AUTHORISE.value:
        payment.status = P.FAILED.value
    payment.updated_at = utcnow()
    audit.record(session, None, f"payment.{entry.kind}_failed", "payment", payment.id,
                 after={"entry": entry.id, "error": message, "retryable": retryable})


def record_result(session: Session, actor, entry: PaymentEntry, payment: Payment,
                  result: GatewayResult, *, auth_valid_days: int = 7) -> None:
    """Apply a gateway result to the entry and the payment; a completed capture pays the order."""
    now = utcnow()
    entry.provider_ref = result.reference or entry.provider_ref
    payment.updated_at = now
    if result.status is ResultStatus.PENDING:
        entry.status = E.AWAITING.value
        payment.last_error = None
        return
    entry.status = E.SUCCEEDED.value
    entry.completed_at = now
    payment.last_error = None
    status = result.status
    if status is ResultStatus.AUTHORISED:
        payment.provider_ref = result.reference
        payment.status = P.AUTHORISED.value
        payment.authorised_amount = result.amount
        payment.authorised_at = now
        payment.authorisation_expires_at = (now + timedelta(days=auth_valid_days)
                                            if payment.provider == "stripe" else None)
    elif status is ResultStatus.CAPTURED:
        payment.captured_amount += entry.amount
        payment.status = P.CAPTURED.value
        payment.captured_at = now
        _pay_order(session, actor, payment, entry.amount)
    elif status is ResultStatus.VOIDED:
        payment.status = P.VOIDED.value
    elif status is ResultStatus.REFUNDED:
        payment.refunded_amount += entry.amount
        if payment.refunded_amount >= payment.captured_amount:
            payment.status = P.REFUNDED.value
    audit.record(session, actor, f"payment.{entry.kind}_succeeded", "payment", payment.id,
                 after={"entry": entry.id, "amount": entry.amount,
                        "provider_ref": entry.provider_ref, "status": payment.status})


def _pay_order(session: Session, actor, payment: Payment, amount: Decimal) -> None:
    """The money moved: run the order's `pay` transition. If the order cannot take it (its
    state changed meanwhile), keep the ledger true and say so on the payment."""
    try:
        with session.begin_nested():
            flow.pay(session, actor, payment.order_id, amount=amount)
    except DomainError as err:
        log.warning("payment %s captured but order %s not paid: %s", payment.id,
                    payment.order_id, err.message)
        payment.last_error = f"款项已支付，但订单状态未能更新：{err.message}"


# --- treasury instructions: finance staff complete the payment ----------------------------------

def decide_instruction(session: Session, actor, instruction_id: int, *, confirm: bool,
                       reason: str | None = None):
    """Finance confirms (the payment is complete: the order is paid) or rejects (the capture
    fails, visible on the order; a retry issues a new instruction)."""
    if flow.role_of(actor) != Role.FINANCE:
        raise Forbidden("只有财政支付人员可以处理支付指令", code="finance_only")
    instruction = treasury.decide(session, actor, instruction_id, confirm=confirm, reason=reason)
    entry = session.scalar(select(PaymentEntry).where(
        PaymentEntry.idempotency_key == instruction.idempotency_key).with_for_update())
    if entry is None or entry.status != E.AWAITING.value:
        raise Conflict("支付指令与支付台账不一致", code="instruction_ledger_mismatch")
    payment = session.scalar(select(Payment).where(Payment.id == entry.payment_id)
                             .with_for_update())
    if confirm:
        done = ResultStatus.CAPTURED if entry.kind == K.CAPTURE.value else ResultStatus.REFUNDED
        record_result(session, actor, entry, payment,
                      GatewayResult(done, instruction.number, entry.amount, "confirmed"))
    else:
        record_failure(session, entry, payment, f"支付指令被退回：{instruction.reason}",
                       retryable=False)
    return instruction


# --- Stripe webhooks ----------------------------------------------------------------------------

def record_stripe_event(session: Session, event_: dict) -> bool:
    """Record a verified Stripe event once; False for a duplicate (already recorded).

    `payment_intent.canceled` for a hold we did not void (it lapsed) marks the payment failed
    so a retry re-authorises it."""
    event_id = str(event_.get("id") or "")
    if not event_id:
        raise field_error("id", "事件缺少 id")
    obj = ((event_.get("data") or {}).get("object") or {})
    object_id = obj.get("id") if isinstance(obj, dict) else None
    if not insert_once(session, StripeEvent(
            event_id=event_id, type=str(event_.get("type", ""))[:100],
            object_id=(str(object_id)[:120] if object_id else None))):
        return False
    if event_.get("type") == "payment_intent.canceled" and object_id:
        payment = session.scalar(select(Payment).where(Payment.provider_ref == object_id)
                                 .with_for_update())
        if payment is not None and payment.status == P.AUTHORISED.value:
            payment.status = P.FAILED.value
            payment.last_error = "公务卡预授权已失效，请重试以重新授权"
            audit.record(session, None, "payment.authorisation_lapsed", "payment", payment.id,
                         after={"event": event_id})
    return True


# --- composition ---------------------------------------------------------------------------------

def build_executor(cfg) -> Executor:
    """Gateways from configuration: Stripe for 公务卡 (a client per call, from the current
    `STRIPE_API_BASE`/`STRIPE_API_KEY`), treasury instructions in the delivery's session."""
    from orders.stripe_gateway import StripeGateway

    def gateway_for(method: str, session: Session) -> PaymentGateway:
        if method == PaymentMethod.CARD.value:
            return StripeGateway.from_config(cfg)
        return treasury.TreasuryGateway(session)

    return Executor(gateway_for, auth_valid_days=cfg.card_auth_valid_days)

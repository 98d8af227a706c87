"""国库集中支付 (treasury payment): the second implementation of the payment gateway.

There is no card hold: the budget frozen at checkout is the reservation, so `authorise`
only names the payment. `capture` and `refund` record a payment instruction (支付指令) for
finance staff (role `finance`); the money moves when they confirm it on the 国库支付 page,
and the ledger (orders.payments) completes the payment then. Each instruction carries the
caller's idempotency key (unique), so a repeated call returns the same instruction.

The gateway works in the session it is given (the outbox delivery's transaction), so the
instruction and the ledger entry that asked for it commit together.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, selectinload

from mall import audit
from mall.clock import utcnow
from mall.db import get_by_id
from mall.errors import Conflict, field_error
from orders.gateway import GatewayRejected, GatewayResult, ResultStatus, check_amount
from orders.models import Contract, InstructionStatus, Order, TreasuryInstruction
from suppliers.models import Supplier

PREFIX = "GK-"  # reference of a treasury payment: GK-<order id>


def reference_for(order_id: int) -> str:
    return f"{PREFIX}{order_id}"


def _order_id(reference: str) -> int:
    if not reference.startswith(PREFIX) or not reference[len(PREFIX):].isdigit():
        raise GatewayRejected(f"无效的国库支付引用：{reference}")
    return int(reference[len(PREFIX):])


class TreasuryGateway:
    name = "treasury"

    def __init__(self, session: Session):
        self._session = session

    def authorise(self, *, amount: Decimal, order_ref: str, idempotency_key: str,
                  metadata: dict | None = None) -> GatewayResult:
        amount = check_amount(amount)
        order_id = (metadata or {}).get("order_id")
        if order_id is None:
            raise GatewayRejected("国库支付需要订单编号")
        return GatewayResult(ResultStatus.AUTHORISED, reference_for(int(order_id)), amount,
                             "budget_frozen")

    def reauthorise(self, reference: str, *, amount: Decimal, order_ref: str,
                    idempotency_key: str) -> GatewayResult:
        return GatewayResult(ResultStatus.AUTHORISED, reference, check_amount(amount),
                             "budget_frozen")

    def cancel(self, reference: str, *, idempotency_key: str) -> GatewayResult:
        # Nothing is held outside the budget line, which the order flow releases.
        _order_id(reference)
        return GatewayResult(ResultStatus.VOIDED, reference, Decimal("0.00"), "released")

    def capture(self, reference: str, *, amount: Decimal, idempotency_key: str
                ) -> GatewayResult:
        return self._instruct(reference, "capture", amount, idempotency_key)

    def refund(self, reference: str, *, amount: Decimal, idempotency_key: str
               ) -> GatewayResult:
        return self._instruct(reference, "refund", amount, idempotency_key)

    def _instruct(self, reference: str, kind: str, amount: Decimal, key: str) -> GatewayResult:
        amount = check_amount(amount)
        order_id = _order_id(reference)
        found = self._session.scalar(select(TreasuryInstruction).where(
            TreasuryInstruction.idempotency_key == key))
        if found is None:
            found = _new_instruction(self._session, order_id, kind, amount, key)
        return _result(found)


def _new_instruction(session: Session, order_id: int, kind: str, amount: Decimal,
                     key: str) -> TreasuryInstruction:
    order = session.get(Order, order_id)
    if order is None:
        raise GatewayRejected(f"订单 {order_id} 不存在")
    supplier = session.get(Supplier, order.supplier_id)
    contract = session.scalar(select(Contract).where(Contract.order_id == order_id))
    bank = contract.payee_bank if contract else supplier.bank_name
    account = contract.payee_account if contract else supplier.bank_account
    instruction = TreasuryInstruction(
        idempotency_key=key, order_id=order_id, kind=kind, amount=amount,
        payee_name=supplier.name, payee_bank=bank, payee_account=account,
        status=InstructionStatus.PENDING.value, created_at=utcnow())
    session.add(instruction)
    session.flush()
    audit.record(session, None, f"treasury.{kind}_instruction", "treasury_instruction",
                 instruction.id, after={"order_id": order_id, "amount": amount,
                                        "payee_account": account, "key": key})
    return instruction


def _result(instruction: TreasuryInstruction) -> GatewayResult:
    status = InstructionStatus(instruction.status)
    if status is InstructionStatus.REJECTED:
        raise GatewayRejected(f"支付指令 {instruction.number} 已被退回：{instruction.reason}")
    done = ResultStatus.CAPTURED if instruction.kind == "capture" else ResultStatus.REFUNDED
    return GatewayResult(done if status is InstructionStatus.CONFIRMED else ResultStatus.PENDING,
                         instruction.number, instruction.amount, status.value,
                         {"instruction_id": instruction.id})


def instructions_query(status: str | None = None) -> Select:
    """Treasury instructions newest first, optionally of one status, with their orders loaded
    (the finance list shows each order's number) — for the API and the finance page."""
    query = (select(TreasuryInstruction).options(selectinload(TreasuryInstruction.order))
             .order_by(TreasuryInstruction.id.desc()))
    if status:
        query = query.where(TreasuryInstruction.status == status)
    return query


# --- finance staff's decisions (rules: take the session, never commit) ------------------------

def get_instruction(session: Session, instruction_id: int, *, lock: bool = False
                    ) -> TreasuryInstruction:
    return get_by_id(session, TreasuryInstruction, instruction_id, lock=lock,
                     missing="支付指令不存在", code="instruction_not_found")


def decide(session: Session, actor, instruction_id: int, *, confirm: bool,
           reason: str | None = None) -> TreasuryInstruction:
    """Confirm (资金已支付) or reject (退回, with a reason) a pending instruction."""
    instruction = get_instruction(session, instruction_id, lock=True)
    if instruction.status != InstructionStatus.PENDING.value:
        raise Conflict(f"支付指令 {instruction.number} 已处理（{instruction.status_label}）",
                       code="instruction_decided")
    reason = (reason or "").strip() or None
    if not confirm and not reason:
        raise field_error("reason", "退回支付指令时请填写原因")
    before = {"status": instruction.status}
    instruction.status = (InstructionStatus.CONFIRMED if confirm
                          else InstructionStatus.REJECTED).value
    instruction.reason = reason
    instruction.decided_by = getattr(actor, "id", None)
    instruction.decided_at = utcnow()
    audit.record(session, actor, "treasury.confirm" if confirm else "treasury.reject",
                 "treasury_instruction", instruction.id, before=before,
                 after={"status": instruction.status, "reason": reason})
    return instruction

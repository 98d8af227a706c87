"""Framework agreements, first stage (框架协议采购第一阶段, 财政部令第110号).

An agency (集中采购机构) publishes a solicitation (征集公告) for a closed (封闭式) or open (开放式)
agreement; suppliers respond before the deadline; the agency evaluates, shortlists (入围) and
publishes the result notice (入围结果公告); members hold agreed prices (协议价格) per item.

Agreement state machine (`TRANSITIONS`, one `transition()` that locks the row and audits):

    draft ─publish→ soliciting ─open_responses→ evaluating ─publish_result→ active
    draft ─activate→ active                                   (open agreements: no evaluation)
    active ─supplement→ supplementing ─publish_result→ active (补充征集, closed only)
    active|supplementing ─expire→ expired                     (after the validity period)
    any but expired/terminated ─terminate→ terminated         (with a coded reason)

Member state machine (`MEMBER_TRANSITIONS`): active ─suspend→ suspended ─reinstate→ active;
active|suspended ─remove→ removed (agency, coded reason); active ─leave→ exited (the supplier:
any time in an open agreement, only with a coded cause in a closed one); an exited member of an
open agreement may join again.

Sealing (密封): before the response deadline nobody but the responding supplier itself can
read a response — not the agency, not other suppliers, not buyers. `responses_for` enforces it
for the API and the pages alike.

Evaluation as built (`evaluate`), deterministic for the same data:
- Only valid responses count: the supplier must be able to trade (not suspended or banned)
  when the agency evaluates; others are marked invalid with the reason.
- Quoted total = Σ (unit price × estimated quantity) over every item (a response prices all
  items; one package per agreement).
- Evaluated price = quoted total × (1 − deduction) when the supplier declared itself small or
  micro (中小企业声明函, must match its registered size); the deduction is set per agreement
  between 10% and 20%. Other suppliers: evaluated price = quoted total.
- 价格优先法 ranks by evaluated price ascending. 质量优先法 ranks by the score (0–100) the
  agency enters for each valid response (on behalf of the evaluation committee), descending.
- Tie-break, in order: (quality: lower evaluated price), lower quoted total, earlier response
  time (the time of the last submission), lower supplier id.
- Shortlist: with n valid responses and elimination ratio r (≥ 20%), at least
  max(ceil(n × r), 1) suppliers are eliminated, so at most n − that many are shortlisted; the
  agency may shortlist fewer but never more, and a closed agreement needs n ≥ 2. Meeting the
  qualifications alone never admits a supplier.
- Members get their own quoted unit prices as agreed prices. The rotation order (轮候顺序) is
  the rank order, appended after existing members for a supplementary round; in open
  agreements it is the joining order. It is fixed and notified (notice) when the result is
  published or the open agreement starts.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import Select, column, func, select, table
from sqlalchemy.orm import Session, selectinload

from mall import audit
from mall.clock import SHANGHAI, local_today, to_local
from mall.db import get_by_id
from mall.errors import (
    Conflict,
    Forbidden,
    RuleViolation,
    ValidationFailed,
    field_error,
)
from mall.money import CENT, fmt_cny
from mall.roles import Role
from suppliers.models import (
    AgreementItem,
    AgreementKind,
    AgreementMember,
    AgreementNotice,
    AgreementResponse,
    AgreementStatus,
    CallOffMethod,
    EvaluationMethod,
    FrameworkAgreement,
    MemberPrice,
    MemberStatus,
    NoticeKind,
    ResponsePrice,
    Supplier,
    SupplierSize,
)
from suppliers.status import can_trade

A = AgreementStatus
M = MemberStatus

MIN_ELIMINATION_RATIO = Decimal("0.20")
SME_DEDUCTION_RANGE = (Decimal("0.10"), Decimal("0.20"))
MAX_VALIDITY_DAYS = 731  # 框架协议有效期: goods up to one year, services up to two

TRANSITIONS: dict[str, tuple[set[AgreementStatus], AgreementStatus]] = {
    "publish": ({A.DRAFT}, A.SOLICITING),
    "activate": ({A.DRAFT}, A.ACTIVE),
    "open_responses": ({A.SOLICITING}, A.EVALUATING),
    "publish_result": ({A.EVALUATING, A.SUPPLEMENTING}, A.ACTIVE),
    "supplement": ({A.ACTIVE}, A.SUPPLEMENTING),
    "expire": ({A.ACTIVE, A.SUPPLEMENTING}, A.EXPIRED),
    "terminate": ({A.DRAFT, A.SOLICITING, A.EVALUATING, A.ACTIVE, A.SUPPLEMENTING},
                  A.TERMINATED),
}

ACTION_LABELS = {"publish": "发布征集公告", "activate": "发布并生效", "open_responses": "开启响应文件",
                 "publish_result": "发布入围结果", "supplement": "补充征集", "expire": "到期",
                 "terminate": "终止"}

IN_FORCE = (A.ACTIVE, A.SUPPLEMENTING)

MEMBER_TRANSITIONS: dict[str, tuple[set[MemberStatus], MemberStatus]] = {
    "suspend": ({M.ACTIVE}, M.SUSPENDED),
    "reinstate": ({M.SUSPENDED}, M.ACTIVE),
    "remove": ({M.ACTIVE, M.SUSPENDED}, M.REMOVED),
    "leave": ({M.ACTIVE}, M.EXITED),
    "rejoin": ({M.EXITED}, M.ACTIVE),
}

MEMBER_ACTION_LABELS = {"suspend": "暂停", "reinstate": "恢复", "remove": "移出", "leave": "退出",
                        "rejoin": "重新加入"}

MEMBER_REASONS = {
    "quality_failure": "履约质量不合格",
    "price_violation": "价格违规（高于协议价格或价格欺诈）",
    "contract_breach": "拒绝签订或不履行合同",
    "false_documents": "提供虚假材料",
    "qualification_lost": "不再具备入围资格条件",
    "supplier_sanctioned": "被暂停交易或禁止参加政府采购",
    "other": "其他",
}

# 封闭式框架协议 members may leave only for cause (无正当理由不得退出).
LEAVE_CAUSES = {
    "force_majeure": "不可抗力",
    "business_closure": "停业、破产或经营状况发生重大变化",
    "qualification_lost": "不再具备资格条件",
    "other_justified": "其他正当理由（须说明）",
}

TERMINATE_REASONS = {
    "requirement_changed": "采购需求发生重大变化",
    "failed_solicitation": "征集失败（响应供应商不足）",
    "violation": "征集过程存在违法违规情形",
    "other": "其他",
}

# Read the catalogue's category codes without importing catalog (suppliers comes first).
_categories = table("categories", column("code"), column("name"))


class ResponsesSealed(Forbidden):
    code = "responses_sealed"


def _money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def get(session: Session, agreement_id: int, *, lock: bool = False) -> FrameworkAgreement:
    return get_by_id(session, FrameworkAgreement, agreement_id, lock=lock,
                     missing="框架协议不存在", code="agreement_not_found")


def is_owner(actor, agreement: FrameworkAgreement) -> bool:
    return actor.role == Role.AGENCY and agreement.agency_user_id == actor.id


def check_owner(actor, agreement: FrameworkAgreement) -> None:
    if not is_owner(actor, agreement):
        raise Forbidden("只有发起该框架协议的集中采购机构可以执行此操作", code="agreement_forbidden")


def can_see(actor, agreement: FrameworkAgreement) -> bool:
    """Drafts are the owning agency's; everything published is public to logged-in users."""
    return agreement.status != A.DRAFT or is_owner(actor, agreement)


def list_query(actor, *, status: str | None = None, kind: str | None = None) -> Select:
    """The agreements an actor may list, newest first: everything published, and an agency's
    own drafts (the query form of `can_see`)."""
    query = select(FrameworkAgreement).order_by(FrameworkAgreement.id.desc())
    if actor.role == Role.AGENCY:
        query = query.where((FrameworkAgreement.status != A.DRAFT.value)
                            | (FrameworkAgreement.agency_user_id == actor.id))
    else:
        query = query.where(FrameworkAgreement.status != A.DRAFT.value)
    if status:
        query = query.where(FrameworkAgreement.status == status)
    if kind:
        query = query.where(FrameworkAgreement.kind == kind)
    return query


def in_force(agreement: FrameworkAgreement, today: date) -> bool:
    return (AgreementStatus(agreement.status) in IN_FORCE
            and agreement.valid_from <= today <= agreement.valid_until)


def deadline_passed(agreement: FrameworkAgreement, now: datetime) -> bool:
    return agreement.response_deadline is not None and now >= agreement.response_deadline


def category_name(session: Session, code: str) -> str | None:
    return session.scalar(select(_categories.c.name).where(_categories.c.code == code))


def categories_named(session: Session, codes) -> dict[str, str]:
    codes = set(codes)
    if not codes:
        return {}
    return dict(session.execute(select(_categories.c.code, _categories.c.name)
                                .where(_categories.c.code.in_(codes))).all())


def _notice(session: Session, agreement: FrameworkAgreement, kind: NoticeKind, title: str,
            body: str, now: datetime, ref_id: int | None = None) -> AgreementNotice:
    notice = AgreementNotice(agreement_id=agreement.id, kind=kind.value, title=title, body=body,
                             published_at=now, ref_id=ref_id)
    session.add(notice)
    return notice


# --- creating and publishing ------------------------------------------------------------


def create(session: Session, actor, *, title: str, kind: str, valid_from: date,
           valid_until: date, items: list[dict], calloff_methods: list[str],
           description: str = "", evaluation_method: str = EvaluationMethod.PRICE.value,
           elimination_ratio: Decimal = MIN_ELIMINATION_RATIO,
           sme_deduction: Decimal = Decimal("0.10"), bid_working_days: int = 3,
           response_deadline: datetime | None = None, now: datetime) -> FrameworkAgreement:
    """A draft agreement with its items. Only agencies create agreements."""
    if actor is None or actor.role != Role.AGENCY:
        raise Forbidden("只有集中采购机构可以发起框架协议征集", code="agreement_forbidden")
    kind = AgreementKind(kind)
    method = EvaluationMethod(evaluation_method)
    if response_deadline is not None:
        response_deadline = response_deadline.astimezone(UTC)
    if kind is AgreementKind.CLOSED:
        if elimination_ratio < MIN_ELIMINATION_RATIO:
            raise RuleViolation("封闭式框架协议的淘汰比例不得低于 20%",
                                code="elimination_ratio_too_low",
                                errors={"elimination_ratio": ["淘汰比例不得低于 20%"]})
        if response_deadline is None:
            raise field_error("response_deadline", "封闭式框架协议须设置响应截止时间")
        if response_deadline <= now:
            raise field_error("response_deadline", "响应截止时间应晚于当前时间")
    else:
        if method is EvaluationMethod.QUALITY:
            raise field_error("evaluation_method", "开放式框架协议按公布价格加入，不进行评审")
        elimination_ratio = Decimal("0.00")
        response_deadline = None
    low, high = SME_DEDUCTION_RANGE
    if not low <= sme_deduction <= high:
        raise field_error("sme_deduction", "小微企业价格扣除比例应在 10% 到 20% 之间")
    methods = [CallOffMethod(m).value for m in dict.fromkeys(calloff_methods)]
    if not methods:
        raise field_error("calloff_methods", "至少选择一种采购方式")
    if valid_until <= valid_from:
        raise field_error("valid_until", "有效期截止日应晚于起始日")
    if (valid_until - valid_from).days > MAX_VALIDITY_DAYS:
        raise field_error("valid_until", "框架协议有效期不得超过 2 年")
    if response_deadline is not None and to_local(response_deadline).date() > valid_from:
        raise field_error("valid_from", "有效期起始日不得早于响应截止日")
    if not items:
        raise field_error("items", "至少需要一个采购标的")
    names = categories_named(session, [i["category_code"] for i in items])
    errors = {}
    for n, item in enumerate(items):
        if item["category_code"] not in names:
            errors[str(n)] = {"category_code": ["品目代码不存在"]}
    if errors:
        raise ValidationFailed("标的品目代码不存在", errors={"items": errors})
    agreement = FrameworkAgreement(
        title=title, kind=kind.value, agency_user_id=actor.id, description=description,
        evaluation_method=method.value, elimination_ratio=elimination_ratio,
        sme_deduction=sme_deduction, calloff_methods=methods, bid_working_days=bid_working_days,
        response_deadline=response_deadline, valid_from=valid_from, valid_until=valid_until,
        status=A.DRAFT.value, created_at=now)
    for n, item in enumerate(items, start=1):
        agreement.items.append(AgreementItem(
            line_no=n, name=item["name"], category_code=item["category_code"],
            spec=item.get("spec") or "", unit=item.get("unit") or "台",
            est_quantity=item["est_quantity"], max_unit_price=item["max_unit_price"]))
    session.add(agreement)
    session.flush()
    agreement.number = f"KJXY{valid_from.year}{agreement.id:05d}"
    audit.record(session, actor, "agreement.create", "framework_agreement", agreement.id,
                 after={"title": title, "kind": kind, "items": len(items),
                        "methods": methods, "deadline": response_deadline})
    return agreement


def transition(session: Session, actor, agreement_id: int, action: str, *, now: datetime,
               reason_code: str | None = None, note: str | None = None) -> FrameworkAgreement:
    """Check and apply one state change; the time and content rules live in the callers."""
    if action not in TRANSITIONS:
        raise field_error("action", f"未知操作：{action}")
    agreement = get(session, agreement_id, lock=True)
    sources, target = TRANSITIONS[action]
    if AgreementStatus(agreement.status) not in sources:
        raise Conflict(f"框架协议当前状态为“{agreement.status_label}”，不能{ACTION_LABELS[action]}",
                       code="agreement_transition_refused")
    before = {"status": agreement.status}
    agreement.status = target.value
    if reason_code is not None:
        agreement.status_reason_code = reason_code
    audit.record(session, actor, f"agreement.{action}", "framework_agreement", agreement.id,
                 before=before, after={"status": agreement.status, "reason_code": reason_code,
                                       "note": note, "at": now})
    return agreement


def _solicitation_body(session: Session, agreement: FrameworkAgreement) -> str:
    lines = [f"协议编号：{agreement.number}；类型：{agreement.kind_label}；"
             f"有效期：{agreement.valid_from} 至 {agreement.valid_until}；"
             f"采购方式：{agreement.method_labels}。"]
    if agreement.kind == AgreementKind.CLOSED:
        deadline = to_local(agreement.response_deadline).strftime("%Y-%m-%d %H:%M")
        lines.append(f"评审方法：{agreement.evaluation_label}；淘汰比例不低于 "
                     f"{agreement.elimination_ratio * 100:.0f}%；小微企业价格扣除 "
                     f"{agreement.sme_deduction * 100:.0f}%；响应截止时间：{deadline}（北京时间）。")
    for item in agreement.items:
        label = "公布价格" if agreement.kind == AgreementKind.OPEN else "最高限制单价"
        lines.append(f"{item.line_no}. {item.name}（{item.category_code}），预估 "
                     f"{item.est_quantity}{item.unit}，{label} {fmt_cny(item.max_unit_price)}")
    return "\n".join(lines)


def publish(session: Session, actor, agreement_id: int, *, now: datetime) -> FrameworkAgreement:
    """Publish the solicitation (closed) or start the open agreement (open)."""
    agreement = get(session, agreement_id)
    check_owner(actor, agreement)
    if agreement.kind == AgreementKind.CLOSED:
        if agreement.response_deadline <= now:
            raise RuleViolation("响应截止时间已过，请修改后再发布", code="deadline_passed")
        transition(session, actor, agreement_id, "publish", now=now)
        _notice(session, agreement, NoticeKind.SOLICITATION, f"{agreement.title} 征集公告",
                _solicitation_body(session, agreement), now)
    else:
        if agreement.valid_until < local_today(now):
            raise RuleViolation("有效期已过，不能发布", code="agreement_expired")
        transition(session, actor, agreement_id, "activate", now=now)
        agreement.result_published_at = now
        _notice(session, agreement, NoticeKind.SOLICITATION,
                f"{agreement.title} 征集公告（开放式，接受公布价格即可加入）",
                _solicitation_body(session, agreement), now)
    agreement.published_at = now
    return agreement


# --- responses (sealed) -----------------------------------------------------------------


def submit_response(session: Session, actor, agreement_id: int, *, prices: dict[int, Decimal],
                    sme_declared: bool, documents: str = "", now: datetime
                    ) -> AgreementResponse:
    """Submit or replace the actor's supplier's response for the current round."""
    if actor is None or actor.role != Role.SUPPLIER:
        raise Forbidden("只有供应商可以提交响应文件", code="role_forbidden")
    agreement = get(session, agreement_id)
    if agreement.kind != AgreementKind.CLOSED or agreement.status not in (
            A.SOLICITING, A.SUPPLEMENTING):
        raise Conflict("该框架协议当前不接受响应文件", code="not_soliciting")
    if now >= agreement.response_deadline:
        raise RuleViolation("已过响应截止时间，不能提交或修改响应文件", code="response_late")
    supplier = session.get(Supplier, actor.supplier_id)
    if not can_trade(supplier, local_today(now)):
        raise RuleViolation("供应商当前状态不能参加政府采购活动", code="supplier_not_active")
    if agreement.status == A.SUPPLEMENTING and session.scalar(
            select(AgreementMember.id).where(AgreementMember.agreement_id == agreement.id,
                                             AgreementMember.supplier_id == supplier.id)):
        raise Conflict("贵单位已是该框架协议的入围供应商", code="already_member")
    items = {item.id: item for item in agreement.items}
    errors: dict = {}
    for item_id in items:
        if item_id not in prices:
            errors[str(item_id)] = ["须对每个标的报价"]
    for item_id, price in prices.items():
        item = items.get(item_id)
        if item is None:
            errors[str(item_id)] = ["不是该协议的标的"]
        elif price <= 0:
            errors[str(item_id)] = ["报价必须大于 0"]
        elif price > item.max_unit_price:
            errors[str(item_id)] = [f"报价不得高于最高限制单价 {fmt_cny(item.max_unit_price)}"]
    if errors:
        above = any("最高限制单价" in m[0] for m in errors.values())
        raise RuleViolation("报价高于最高限制单价" if above else "报价不完整或无效",
                            code="price_above_max" if above else "prices_invalid",
                            errors={"prices": errors},
                            status=422 if above else 400)
    if sme_declared and supplier.size not in (SupplierSize.SMALL, SupplierSize.MICRO,
                                              SupplierSize.MEDIUM):
        raise RuleViolation("大型企业不能出具中小企业声明函", code="sme_declaration_invalid",
                            errors={"sme_declared": ["与注册的企业规模不符"]})
    total = _money(sum((prices[i] * items[i].est_quantity for i in items), Decimal("0")))
    response = session.scalar(select(AgreementResponse).where(
        AgreementResponse.agreement_id == agreement.id,
        AgreementResponse.round == agreement.round,
        AgreementResponse.supplier_id == supplier.id).with_for_update())
    action = "agreement.response_replace" if response else "agreement.response_submit"
    if response is None:
        response = AgreementResponse(agreement_id=agreement.id, round=agreement.round,
                                     supplier_id=supplier.id, quoted_total=total)
        session.add(response)
    response.declared_size = supplier.size if sme_declared else None
    response.documents = documents
    response.submitted_at = now
    response.quoted_total = total
    by_item = {p.item_id: p for p in response.prices}
    for item_id in items:
        if item_id in by_item:
            by_item[item_id].unit_price = prices[item_id]
        else:
            response.prices.append(ResponsePrice(item_id=item_id, unit_price=prices[item_id]))
    session.flush()
    # Sealed: the audit trail records that a response came in, never its prices.
    audit.record(session, actor, action, "agreement_response", response.id,
                 after={"agreement_id": agreement.id, "round": agreement.round,
                        "supplier_id": supplier.id, "at": now})
    return response


def response_count(session: Session, agreement: FrameworkAgreement) -> int:
    return session.scalar(select(func.count()).select_from(AgreementResponse).where(
        AgreementResponse.agreement_id == agreement.id,
        AgreementResponse.round == agreement.round)) or 0


def responses_for(session: Session, actor, agreement: FrameworkAgreement, now: datetime,
                  round_: int | None = None) -> list[AgreementResponse]:
    """Responses the actor may read. Before the deadline of the round: only a supplier's own
    response; after it: the owning agency and regulators read all, a supplier its own, others
    (other agencies, buyers, operators) nothing."""
    round_ = round_ or agreement.round
    query = (select(AgreementResponse)
             .where(AgreementResponse.agreement_id == agreement.id,
                    AgreementResponse.round == round_)
             .options(selectinload(AgreementResponse.prices),
                      selectinload(AgreementResponse.supplier))
             .order_by(AgreementResponse.rank.is_(None), AgreementResponse.rank,
                       AgreementResponse.id))
    if actor.role == Role.SUPPLIER:
        return list(session.scalars(query.where(
            AgreementResponse.supplier_id == actor.supplier_id)))
    current_round_sealed = round_ == agreement.round and not deadline_passed(agreement, now)
    if current_round_sealed:
        raise ResponsesSealed("响应文件在截止时间前密封，任何人不得查看", status=403)
    if not (is_owner(actor, agreement) or actor.role == Role.REGULATOR):
        raise Forbidden("只有发起该框架协议的集中采购机构（及财政监管）可以查看响应文件",
                        code="agreement_forbidden")
    return list(session.scalars(query))


# --- evaluation and result ------------------------------------------------------------


def open_responses(session: Session, actor, agreement_id: int, *, now: datetime
                   ) -> FrameworkAgreement:
    agreement = get(session, agreement_id)
    check_owner(actor, agreement)
    if not deadline_passed(agreement, now):
        raise ResponsesSealed("响应截止时间未到，不能开启响应文件", status=409)
    return transition(session, actor, agreement_id, "open_responses", now=now)


def _check_evaluable(agreement: FrameworkAgreement, now: datetime) -> None:
    if agreement.status not in (A.EVALUATING, A.SUPPLEMENTING):
        raise Conflict("框架协议不在评审阶段", code="not_evaluating")
    if not deadline_passed(agreement, now):
        raise ResponsesSealed("响应截止时间未到，不能评审", status=409)


def enter_scores(session: Session, actor, agreement_id: int, scores: dict[int, Decimal], *,
                 now: datetime) -> list[AgreementResponse]:
    """质量优先法: the agency enters the evaluation committee's score (0–100) per response."""
    agreement = get(session, agreement_id, lock=True)
    check_owner(actor, agreement)
    _check_evaluable(agreement, now)
    if agreement.evaluation_method != EvaluationMethod.QUALITY:
        raise Conflict("价格优先法不录入评审得分", code="scores_not_used")
    responses = {r.id: r for r in session.scalars(select(AgreementResponse).where(
        AgreementResponse.agreement_id == agreement.id,
        AgreementResponse.round == agreement.round))}
    errors = {}
    for response_id, score in scores.items():
        if response_id not in responses:
            errors[str(response_id)] = ["不是本轮的响应文件"]
        elif not Decimal("0") <= score <= Decimal("100"):
            errors[str(response_id)] = ["得分应在 0 到 100 之间"]
    if errors:
        raise ValidationFailed("评审得分有误", errors={"scores": errors})
    for response_id, score in scores.items():
        responses[response_id].quality_score = score
    agreement.evaluated_at = None  # scores changed: evaluate again before publishing
    audit.record(session, actor, "agreement.scores", "framework_agreement", agreement.id,
                 after={"scores": {str(k): v for k, v in scores.items()}})
    return list(responses.values())


def max_shortlist(valid_count: int, ratio: Decimal) -> int:
    """The largest shortlist that eliminates at least `ratio` and at least one supplier."""
    eliminated = max(math.ceil(Decimal(valid_count) * ratio), 1)
    return valid_count - eliminated


def rank_key(agreement: FrameworkAgreement, response: AgreementResponse) -> tuple:
    tail = (response.quoted_total, response.submitted_at, response.supplier_id)
    if agreement.evaluation_method == EvaluationMethod.QUALITY:
        return (-response.quality_score, response.evaluated_price, *tail)
    return (response.evaluated_price, *tail)


def evaluate(session: Session, actor, agreement_id: int, *, now: datetime,
             shortlist_size: int | None = None) -> list[AgreementResponse]:
    """Rank the round's responses and mark the shortlist (see the module docstring)."""
    agreement = get(session, agreement_id, lock=True)
    check_owner(actor, agreement)
    _check_evaluable(agreement, now)
    responses = list(session.scalars(select(AgreementResponse).where(
        AgreementResponse.agreement_id == agreement.id,
        AgreementResponse.round == agreement.round).options(
        selectinload(AgreementResponse.supplier))))
    today = local_today(now)
    valid = []
    for r in responses:
        r.rank, r.shortlisted = None, False
        r.valid = can_trade(r.supplier, today)
        r.invalid_reason = None if r.valid else "供应商处于暂停交易或禁止参加政府采购状态"
        factor = (1 - agreement.sme_deduction) if r.small_or_micro else Decimal("1")
        r.evaluated_price = _money(r.quoted_total * factor)
        if r.valid:
            valid.append(r)
    if agreement.evaluation_method == EvaluationMethod.QUALITY:
        missing = [r.supplier.name for r in valid if r.quality_score is None]
        if missing:
            raise RuleViolation(f"以下供应商尚未录入评审得分：{'、'.join(missing)}",
                                code="scores_missing")
    if len(valid) < 2:
        raise RuleViolation("有效响应供应商不足 2 家，无法在淘汰至少 1 家的前提下确定入围供应商",
                            code="too_few_responses")
    limit = max_shortlist(len(valid), agreement.elimination_ratio)
    size = limit if shortlist_size is None else shortlist_size
    if size < 1:
        raise field_error("shortlist_size", "入围数量至少为 1")
    if size > limit:
        eliminated = len(valid) - limit
        raise RuleViolation(
            f"入围 {size} 家将淘汰不足 {agreement.elimination_ratio * 100:.0f}% 或无人被淘汰："
            f"{len(valid)} 家有效响应至少淘汰 {eliminated} 家，最多入围 {limit} 家",
            code="shortlist_too_large", errors={"shortlist_size": [f"最多入围 {limit} 家"]})
    valid.sort(key=lambda r: rank_key(agreement, r))
    for position, r in enumerate(valid, start=1):
        r.rank = position
        r.shortlisted = position <= size
    agreement.evaluated_at = now
    session.flush()
    audit.record(session, actor, "agreement.evaluate", "framework_agreement", agreement.id,
                 after={"round": agreement.round, "valid": len(valid), "shortlist": size,
                        "ranking": [(r.supplier_id, str(r.evaluated_price)) for r in valid]})
    return sorted(responses, key=lambda r: (r.rank is None, r.rank or 0, r.id))


def _next_position(session: Session, agreement_id: int) -> int:
    current = session.scalar(select(func.max(AgreementMember.rotation_position)).where(
        AgreementMember.agreement_id == agreement_id))
    return (current or 0) + 1


def members(session: Session, agreement_id: int, *, active_only: bool = False
            ) -> list[AgreementMember]:
    query = (select(AgreementMember).where(AgreementMember.agreement_id == agreement_id)
             .options(selectinload(AgreementMember.supplier),
                      selectinload(AgreementMember.prices))
             .order_by(AgreementMember.rotation_position))
    if active_only:
        query = query.where(AgreementMember.status == M.ACTIVE.value)
    return list(session.scalars(query))


def _rotation_body(session: Session, agreement: FrameworkAgreement) -> str:
    rows = [f"第 {m.rotation_position} 位：{m.supplier.name}"
            for m in members(session, agreement.id)]
    return "顺序轮候的轮候顺序如下，协议有效期内固定不变（新加入成员依次排在末位）：\n" + "\n".join(rows)


def publish_result(session: Session, actor, agreement_id: int, *, now: datetime
                   ) -> FrameworkAgreement:
    """入围结果公告: shortlisted suppliers become members with their quoted prices."""
    agreement = get(session, agreement_id)
    check_owner(actor, agreement)
    _check_evaluable(agreement, now)
    if agreement.evaluated_at is None:
        raise Conflict("请先完成评审再发布入围结果", code="not_evaluated")
    shortlisted = list(session.scalars(select(AgreementResponse).where(
        AgreementResponse.agreement_id == agreement.id,
        AgreementResponse.round == agreement.round,
        AgreementResponse.shortlisted.is_(True)).order_by(AgreementResponse.rank)
        .options(selectinload(AgreementResponse.prices),
                 selectinload(AgreementResponse.supplier))))
    transition(session, actor, agreement_id, "publish_result", now=now)
    position = _next_position(session, agreement.id)
    for r in shortlisted:
        member = AgreementMember(agreement_id=agreement.id, supplier_id=r.supplier_id,
                                 response_id=r.id, rank=r.rank, rotation_position=position,
                                 joined_at=now)
        for p in r.prices:
            member.prices.append(MemberPrice(item_id=p.item_id, agreed_price=p.unit_price))
        session.add(member)
        position += 1
    session.flush()
    agreement.result_published_at = now
    lines = [f"第 {r.rank} 名：{r.supplier.name}，报价合计 {fmt_cny(r.quoted_total)}，"
             f"评审价格 {fmt_cny(r.evaluated_price)}"
             + (f"，得分 {r.quality_score}" if r.quality_score is not None else "")
             for r in shortlisted]
    round_label = "补充征集" if agreement.round > 1 else "征集"
    _notice(session, agreement, NoticeKind.RESULT, f"{agreement.title} {round_label}入围结果公告",
            "入围供应商（按评审排名）：\n" + "\n".join(lines), now)
    _notice(session, agreement, NoticeKind.ROTATION, f"{agreement.title} 轮候顺序告知",
            _rotation_body(session, agreement), now)
    return agreement


def supplement(session: Session, actor, agreement_id: int, *, response_deadline: datetime,
               now: datetime) -> FrameworkAgreement:
    """补充征集 for a closed agreement in force: a new round with its own sealed deadline."""
    agreement = get(session, agreement_id)
    check_owner(actor, agreement)
    if agreement.kind != AgreementKind.CLOSED:
        raise Conflict("开放式框架协议随时可以加入，无需补充征集", code="supplement_closed_only")
    response_deadline = response_deadline.astimezone(UTC)
    if response_deadline <= now:
        raise field_error("response_deadline", "响应截止时间应晚于当前时间")
    if to_local(response_deadline).date() >= agreement.valid_until:
        raise field_error("response_deadline", "响应截止时间应早于协议有效期截止日")
    transition(session, actor, agreement_id, "supplement", now=now)
    agreement.round += 1
    agreement.response_deadline = response_deadline
    agreement.evaluated_at = None
    _notice(session, agreement, NoticeKind.SUPPLEMENT, f"{agreement.title} 补充征集公告",
            _solicitation_body(session, agreement), now)
    return agreement


def terminate(session: Session, actor, agreement_id: int, *, reason_code: str,
              note: str | None, now: datetime) -> FrameworkAgreement:
    agreement = get(session, agreement_id)
    check_owner(actor, agreement)
    if reason_code not in TERMINATE_REASONS:
        raise field_error("reason_code", "请选择有效的终止原因", code="reason_required")
    transition(session, actor, agreement_id, "terminate", now=now, reason_code=reason_code,
               note=note)
    _notice(session, agreement, NoticeKind.TERMINATION, f"{agreement.title} 终止公告",
            f"终止原因：{TERMINATE_REASONS[reason_code]}" + (f"；{note}" if note else ""), now)
    return agreement


def expire_due(session: Session, today: date) -> list[int]:
    """Expire agreements whose validity ended before `today` (`mall jobs`)."""
    ids = list(session.scalars(select(FrameworkAgreement.id).where(
        FrameworkAgreement.status.in_([s.value for s in IN_FORCE]),
        FrameworkAgreement.valid_until < today)))
    now = datetime.combine(today, time(0, 0), tzinfo=SHANGHAI)
    for agreement_id in ids:
        transition(session, None, agreement_id, "expire", now=now)
    return ids


# --- members ----------------------------------------------------------------------------


def join(session: Session, actor, agreement_id: int, *, now: datetime) -> AgreementMember:
    """开放式: a qualified supplier accepts the published prices and joins (or rejoins)."""
    if actor is None or actor.role != Role.SUPPLIER:
        raise Forbidden("只有供应商可以加入框架协议", code="role_forbidden")
    agreement = get(session, agreement_id)
    if agreement.kind != AgreementKind.OPEN:
        raise Conflict("封闭式框架协议只能通过征集评审入围", code="join_open_only")
    today = local_today(now)
    if not in_force(agreement, today):
        raise Conflict("框架协议不在有效期内", code="agreement_not_in_force")
    supplier = session.get(Supplier, actor.supplier_id)
    if not can_trade(supplier, today):
        raise RuleViolation("供应商当前状态不能参加政府采购活动", code="supplier_not_active")
    member = session.scalar(select(AgreementMember).where(
        AgreementMember.agreement_id == agreement.id,
        AgreementMember.supplier_id == supplier.id))
    if member is not None:
        if member.status == M.EXITED:
            return member_transition(session, actor, member.id, "rejoin", now=now)
        raise Conflict(f"贵单位已是该协议成员（{member.status_label}）", code="already_member")
    member = AgreementMember(agreement_id=agreement.id, supplier_id=supplier.id,
                             rotation_position=_next_position(session, agreement.id),
                             joined_at=now)
    for item in agreement.items:
        member.prices.append(MemberPrice(item_id=item.id, agreed_price=item.max_unit_price))
    session.add(member)
    session.flush()
    audit.record(session, actor, "agreement_member.join", "agreement_member", member.id,
                 after={"agreement_id": agreement.id, "supplier_id": supplier.id,
                        "rotation_position": member.rotation_position})
    _notice(session, agreement, NoticeKind.MEMBER, f"{supplier.name} 加入 {agreement.title}",
            f"{supplier.name} 接受公布价格加入，轮候顺序第 {member.rotation_position} 位。", now)
    return member


def member_transition(session: Session, actor, member_id: int, action: str, *,
                      now: datetime, reason_code: str | None = None,
                      note: str | None = None) -> AgreementMember:
    if action not in MEMBER_TRANSITIONS:
        raise field_error("action", f"未知操作：{action}")
    member = get_by_id(session, AgreementMember, member_id, lock=True, missing="协议成员不存在",
                       code="member_not_found")
    agreement = get(session, member.agreement_id)
    if action in ("leave", "rejoin"):
        if actor is None or actor.role != Role.SUPPLIER or actor.supplier_id != member.supplier_id:
            raise Forbidden("只能由该供应商本身操作", code="member_forbidden")
        if action == "leave" and agreement.kind == AgreementKind.CLOSED \
                and reason_code not in LEAVE_CAUSES:
            raise RuleViolation("封闭式框架协议的入围供应商无正当理由不得退出，请选择退出事由",
                                code="leave_needs_cause",
                                errors={"reason_code": ["请选择正当退出事由"]})
        if action == "leave" and agreement.kind == AgreementKind.OPEN \
                and reason_code is not None and reason_code not in LEAVE_CAUSES:
            raise field_error("reason_code", "退出事由无效", code="reason_required")
        if action == "leave" and reason_code == "other_justified" and not note:
            raise field_error("note", "请说明退出的正当理由", code="reason_required")
    else:
        check_owner(actor, agreement)
        if action in ("suspend", "remove") and reason_code not in MEMBER_REASONS:
            raise field_error("reason_code", "请选择有效的原因代码", code="reason_required")
    if action in ("reinstate", "rejoin"):
        reason_code = None  # a return needs no reason; the earlier one is in the audit log
    sources, target = MEMBER_TRANSITIONS[action]
    current = MemberStatus(member.status)
    if current not in sources:
        raise Conflict(f"成员当前状态为“{member.status_label}”，不能{MEMBER_ACTION_LABELS[action]}",
                       code="member_transition_refused")
    before = {"status": member.status, "reason_code": member.status_reason_code}
    member.status = target.value
    member.status_reason_code = reason_code
    member.status_note = note
    audit.record(session, actor, f"agreement_member.{action}", "agreement_member", member.id,
                 before=before, after={"status": member.status, "reason_code": reason_code,
                                       "note": note})
    supplier = session.get(Supplier, member.supplier_id)
    reason = MEMBER_REASONS.get(reason_code) or LEAVE_CAUSES.get(reason_code or "", "")
    _notice(session, agreement, NoticeKind.MEMBER,
            f"{supplier.name} {MEMBER_ACTION_LABELS[action]}（{agreement.title}）",
            f"{supplier.name}：{MEMBER_ACTION_LABELS[action]}" + (f"，原因：{reason}" if reason else "")
            + (f"；{note}" if note else ""), now)
    return member


def member_for(session: Session, agreement_id: int, supplier_id: int) -> AgreementMember | None:
    return session.scalar(select(AgreementMember).where(
        AgreementMember.agreement_id == agreement_id,
        AgreementMember.supplier_id == supplier_id))


def notices(session: Session, agreement_id: int) -> list[AgreementNotice]:
    return list(session.scalars(select(AgreementNotice).where(
        AgreementNotice.agreement_id == agreement_id).order_by(AgreementNotice.published_at,
                                                               AgreementNotice.id)))


def default_deadline(now: datetime, days: int = 20) -> datetime:
    """A suggested response deadline: 09:30 Beijing time `days` days from now."""
    local = to_local(now) + timedelta(days=days)
    return local.replace(hour=9, minute=30, second=0, microsecond=0)

"""Demo framework agreements (`mall seed-demo`), built through the rules with past times:
one closed agreement (desktop and portable computers, price-priority, five responses, four
shortlisted) and one open agreement (vehicle maintenance, three members)."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from mall.clock import local_today
from suppliers import agreements
from suppliers.models import FrameworkAgreement, Supplier

CLOSED_ITEMS = [
    {"name": "台式计算机", "category_code": "A02010105", "unit": "台", "est_quantity": 800,
     "spec": "国产 CPU 不低于 6 核，内存 16GB，固态硬盘 512GB，23.8 英寸显示器，三年上门保修",
     "max_unit_price": Decimal("6000.00")},
    {"name": "便携式计算机", "category_code": "A02010108", "unit": "台", "est_quantity": 300,
     "spec": "14 英寸，内存 16GB，固态硬盘 512GB，重量不超过 1.5kg，三年保修",
     "max_unit_price": Decimal("7500.00")},
]

# (supplier index in mall.seed.SUPPLIERS, desktop price, portable price, declares SME)
CLOSED_RESPONSES = [
    (0, "5380.00", "6880.00", True),  # 杭州联创 (the `supplier` demo account), medium
    (1, "5590.00", "7050.00", True),  # 浙江数智 (`supplier2`), small: 10% deduction
    (3, "5460.00", "6990.00", True),  # 浙江华信 (`supplier3`), medium
    (9, "5290.00", "7200.00", False),  # 中科政采, large
    (10, "5750.00", "7390.00", False),  # 华东办公, large: eliminated
]

OPEN_ITEMS = [
    {"name": "公务用车常规保养（含机油、机滤）", "category_code": "C23120301", "unit": "次",
     "est_quantity": 2000, "spec": "1.5–2.0L 排量轿车，原厂或同等品质配件",
     "max_unit_price": Decimal("480.00")},
]


def seed_agreements(session, agency_user, suppliers: list[Supplier], users_by_supplier: dict,
                    now: datetime) -> tuple[FrameworkAgreement, FrameworkAgreement]:
    """The closed agreement was solicited 40 days ago and has been in force for 20 days."""
    start = now - timedelta(days=40)
    deadline = now - timedelta(days=21)
    valid_from = local_today(deadline)
    closed = agreements.create(
        session, agency_user, title=f"{valid_from.year}—{valid_from.year + 1} 年度杭州市台式计算机、"
        "便携式计算机框架协议", kind="closed", valid_from=valid_from,
        valid_until=valid_from + timedelta(days=364), items=CLOSED_ITEMS,
        calloff_methods=["direct", "bidding", "rotation"], evaluation_method="price",
        elimination_ratio=Decimal("0.20"), sme_deduction=Decimal("0.10"), bid_working_days=3,
        response_deadline=deadline, description="市级预算单位通用计算机设备，采购人按需确定成交供应商。",
        now=start)
    agreements.publish(session, agency_user, closed.id, now=start)
    for n, (index, desktop, portable, sme) in enumerate(CLOSED_RESPONSES):
        supplier = suppliers[index]
        responder = users_by_supplier.get(supplier.id) or _Responder(supplier.id)
        prices = {closed.items[0].id: Decimal(desktop), closed.items[1].id: Decimal(portable)}
        agreements.submit_response(session, responder, closed.id, prices=prices,
                                   sme_declared=sme, documents="营业执照、资格声明函、技术响应表",
                                   now=start + timedelta(days=2, hours=n))
    opened = deadline + timedelta(hours=1)
    agreements.open_responses(session, agency_user, closed.id, now=opened)
    agreements.evaluate(session, agency_user, closed.id, now=opened)
    agreements.publish_result(session, agency_user, closed.id, now=opened + timedelta(days=1))

    open_start = now - timedelta(days=10)
    open_agreement = agreements.create(
        session, agency_user, title=f"{open_start.year} 年杭州市公务用车维修保养服务框架协议（开放式）",
        kind="open", valid_from=local_today(open_start),
        valid_until=local_today(open_start) + timedelta(days=365), items=OPEN_ITEMS,
        calloff_methods=["direct", "rotation"], description="符合条件的维修企业接受公布价格即可加入。",
        now=open_start)
    agreements.publish(session, agency_user, open_agreement.id, now=open_start)
    for n, index in enumerate((7, 15, 4)):
        supplier = suppliers[index]
        joiner = users_by_supplier.get(supplier.id) or _Responder(supplier.id)
        agreements.join(session, joiner, open_agreement.id,
                        now=open_start + timedelta(hours=2 + n))
    session.flush()
    return closed, open_agreement


class _Responder:
    """A demo supplier without a login account acting through its (implicit) representative."""

    role = "supplier"
    id = None

    def __init__(self, supplier_id: int):
        self.supplier_id = supplier_id

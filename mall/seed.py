"""Deterministic demo data (`mall seed-demo`): units, budget lines, suppliers, one user per role.

Everything comes from a fixed random seed so a demo looks the same every time. Unified social
credit codes are generated with a valid check digit; they are not real companies' codes.
"""

from __future__ import annotations

import random
from decimal import Decimal

from sqlalchemy.orm import Session
from stdnum.cn import uscc

from catalog.categories import load_categories
from mall.accounts import create_user
from mall.roles import Role
from orders import budget
from suppliers import registration, status

DEMO_PASSWORD = "Demo@2026"
FISCAL_YEAR = 2026
_ORG_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"

# (code, name, region, level, parent code)
UNITS = [
    ("330100001", "杭州市财政局", "330100", "municipal", None),
    ("330100002", "杭州市教育局", "330100", "municipal", "330100001"),
    ("330100003", "杭州市卫生健康委员会", "330100", "municipal", "330100001"),
    ("330100004", "杭州市机关事务管理局", "330100", "municipal", "330100001"),
    ("330100101", "杭州市第十四中学", "330106", "municipal", "330100002"),
    ("330100102", "杭州市实验外国语学校", "330106", "municipal", "330100002"),
    ("330100201", "杭州市第一人民医院", "330102", "municipal", "330100003"),
    ("330106001", "杭州市西湖区教育局", "330106", "county", "330100002"),
    ("330106101", "杭州市西湖区文新小学", "330106", "county", "330106001"),
    ("330106102", "杭州市西湖区保俶塔实验学校", "330106", "county", "330106001"),
]

# purpose, line name, amount per unit kind (large / school)
LINES = [
    ("canteen_food", "食堂食材采购", Decimal("1200000.00"), Decimal("800000.00")),
    ("office_equipment", "办公设备购置", Decimal("600000.00"), Decimal("300000.00")),
    ("office_supplies", "办公用品及耗材", Decimal("150000.00"), Decimal("80000.00")),
    ("furniture", "办公家具购置", Decimal("200000.00"), Decimal("100000.00")),
    ("vehicle", "公务用车运行维护", Decimal("120000.00"), Decimal("40000.00")),
]

# (name, region, size, status) — several in real 832 counties (see suppliers/data).
SUPPLIERS = [
    ("杭州联创信息技术有限公司", "330106", "medium", "active"),
    ("浙江数智办公设备有限公司", "330105", "small", "active"),
    ("杭州文汇办公用品有限公司", "330102", "micro", "active"),
    ("浙江华信电脑系统集成有限公司", "330108", "medium", "active"),
    ("杭州恒达家具制造有限公司", "330110", "small", "active"),
    ("浙江绿源节能电器有限公司", "330109", "medium", "active"),
    ("杭州万邦纸业有限公司", "330104", "small", "active"),
    ("浙江同德汽车维修服务有限公司", "330106", "small", "active"),
    ("杭州佳印数码科技有限公司", "330106", "micro", "active"),
    ("中科政采科技集团股份有限公司", "110108", "large", "active"),
    ("华东办公设备供应链股份有限公司", "310115", "large", "active"),
    ("江苏苏政信息产业有限公司", "320102", "medium", "active"),
    ("宁波甬兴文具有限公司", "330203", "small", "active"),
    ("温州瓯江电器有限公司", "330302", "small", "active"),
    ("绍兴越州家具有限公司", "330602", "micro", "active"),
    ("湖州南太湖后勤服务有限公司", "330502", "small", "active"),
    ("嘉兴禾城食品配送有限公司", "330402", "medium", "active"),
    ("金华婺城粮油有限公司", "330702", "small", "active"),
    ("杭州菜篮子农产品配送有限公司", "330105", "medium", "active"),
    ("平塘县天眼农业发展有限公司", "522727", "small", "active"),
    ("雷山县苗岭银球茶业有限公司", "522634", "small", "active"),
    ("澜沧县景迈山普洱茶有限公司", "530828", "micro", "active"),
    ("西吉县六盘山马铃薯产业有限公司", "640422", "small", "active"),
    ("阜平县太行山食用菌有限公司", "130624", "small", "active"),
    ("昭觉县大凉山农牧产品有限公司", "513431", "micro", "active"),
    ("东乡县手抓羊肉食品有限公司", "622926", "small", "active"),
    ("花垣县十八洞村农副产品有限公司", "433124", "micro", "active"),
    ("威宁县高原蔬菜产销有限公司", "520526", "small", "active"),
    ("杭州速捷物流科技有限公司", "330110", "micro", "pending"),
    ("浙江新锐智能科技有限公司", "330108", "small", "pending"),
    ("杭州诚信电子有限公司", "330104", "micro", "suspended"),
    ("浙江久远印刷有限公司", "330105", "small", "pending"),
]

# (username, role, display name, unit code or supplier index, note)
ACCOUNTS = [
    ("buyer", Role.BUYER, "王晓燕（杭州市教育局）", "330100002", "采购人：杭州市教育局"),
    ("buyer2", Role.BUYER, "李建国（杭州市第十四中学）", "330100101", "采购人：杭州市第十四中学"),
    ("supplier", Role.SUPPLIER, "陈立（联创信息）", 0, "供应商：杭州联创信息技术有限公司"),
    ("farmer", Role.SUPPLIER, "罗德文（平塘天眼农业）", 19, "供应商：平塘县（832 县）"),
    ("operator", Role.OPERATOR, "赵敏（平台运营）", None, "平台运营"),
    ("agency", Role.AGENCY, "孙伟（市政府采购中心）", None, "集中采购机构"),
    ("regulator", Role.REGULATOR, "周静（财政局监管处）", None, "财政监管"),
    ("admin", Role.ADMIN, "系统管理员", None, "系统管理员"),
    ("finance", Role.FINANCE, "吴芳（市财政局国库支付中心）", None, "财政支付：确认国库集中支付指令"),
    ("supplier2", Role.SUPPLIER, "吴倩（数智办公）", 1, "供应商：浙江数智办公设备有限公司（小型）"),
    ("supplier3", Role.SUPPLIER, "郑凯（华信电脑）", 3, "供应商：浙江华信电脑系统集成有限公司"),
]


def make_uscc(rng: random.Random, region: str) -> str:
    org = "".join(rng.choice(_ORG_ALPHABET) for _ in range(9))
    first = "91" + region + org
    return first + uscc.calc_check_digit(first)


def seed(session: Session) -> list[tuple[str, str, str]]:
    """Load the demo data into an empty database; returns (username, role, note) rows."""
    rng = random.Random(20261121)
    load_categories(session)

    units = {}
    for code, name, region, level, parent in UNITS:
        units[code] = budget.create_unit(
            session, None, code=code, name=name, region_code=region, level=level,
            parent_id=units[parent].id if parent else None)
        is_school = "学" in name
        for purpose, line_name, big, small in LINES:
            budget.create_line(session, None, unit_id=units[code].id, fiscal_year=FISCAL_YEAR,
                               name=f"{FISCAL_YEAR}年{line_name}", purpose=purpose,
                               amount=small if is_school else big)

    suppliers = []
    for i, (name, region, size, state) in enumerate(SUPPLIERS):
        s = registration.register(
            session, None, uscc=make_uscc(rng, region), name=name, region_code=region,
            size=size, contact_name=rng.choice(["张", "王", "李", "刘", "陈", "杨"]) + "经理",
            contact_phone=f"1{rng.randint(3, 9)}{rng.randint(0, 999999999):09d}",
            contact_email=f"sales{i + 1}@example.cn", bank_name="中国工商银行",
            bank_account=f"1202{rng.randint(0, 10**15 - 1):015d}")
        if state in ("active", "suspended"):
            status.transition(session, None, s.id, "approve")
        if state == "suspended":
            status.transition(session, None, s.id, "suspend", reason_code="quality_failure",
                              note="抽检不合格，整改期间暂停交易")
        suppliers.append(s)

    from catalog.demo import seed_offers
    from mall.clock import local_today
    seed_offers(session, [s for s in suppliers if s.status == "active"], rng, local_today())

    out = []
    users = {}
    for username, role, display, ref, note in ACCOUNTS:
        user = create_user(session, None, username=username, display_name=display, role=role,
                    password=DEMO_PASSWORD,
                    budget_unit_id=units[ref].id if role is Role.BUYER else None,
                    supplier_id=suppliers[ref].id if role is Role.SUPPLIER else None)
        out.append((username, role.value, note))
        users[username] = user

    from orders.demo import seed_orders
    demo_orders = seed_orders(session, users, local_today())
    from orders.contracts import seed_contracts
    seed_contracts(session, demo_orders)

    from mall.clock import utcnow
    from orders.calloffs_demo import seed_calloffs
    from suppliers.agreements_demo import seed_agreements
    closed, open_agreement = seed_agreements(
        session, users["agency"], suppliers,
        {u.supplier_id: u for u in users.values() if u.supplier_id}, utcnow())
    seed_calloffs(session, users, closed, open_agreement, utcnow())
    return out

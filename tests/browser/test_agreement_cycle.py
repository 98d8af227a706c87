"""A full framework-agreement cycle in real Chromium: solicitation → three responses →
shortlist → 二次竞价 call-off → award → order, with sealed prices checked on the pages.
Deadlines pass by moving the live server's clock (no sleeping)."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta

import pytest
from playwright.sync_api import expect

from mall.clock import local_today, to_local
from mall.workdays import add_working_days
from tests.browser.conftest import login_as

pytestmark = pytest.mark.browser


def relogin(page, base: str, username: str) -> None:
    page.context.clear_cookies()
    login_as(page, base, username)


def test_solicitation_to_order(page, live_url, live_clock):
    today = local_today(live_clock.now())
    deadline = datetime.combine(today + timedelta(days=2), time(10, 0))
    valid_from = deadline.date() + timedelta(days=1)

    # 1. The agency drafts and publishes a closed solicitation.
    login_as(page, live_url, "agency")
    page.goto(f"{live_url}/agency/agreements/new")
    page.fill("#title", "浏览器测试 A4 复印纸框架协议")
    page.select_option("#kind", "closed")
    page.fill("#response_deadline", deadline.strftime("%Y-%m-%dT%H:%M"))
    page.fill("#valid_from", valid_from.isoformat())
    page.fill("#valid_until", (valid_from + timedelta(days=300)).isoformat())
    page.fill("input[name=item-0-name]", "A4 复印纸")
    page.fill("input[name=item-0-category_code]", "A05040101")
    page.fill("input[name=item-0-spec]", "70g 500张/包 8包/箱")
    page.fill("input[name=item-0-unit]", "箱")
    page.fill("input[name=item-0-est_quantity]", "1000")
    page.fill("input[name=item-0-max_unit_price]", "150.00")
    page.get_by_role("button", name="保存草稿").click()
    page.get_by_role("button", name="发布征集公告").click()
    assert page.locator("[data-testid=agreement-status]").inner_text() == "征集中"
    agreement_url = page.url.split("?")[0]

    # 2. Three suppliers respond; each sees only its own price.
    item_input = "[data-testid=response-form] input[id^=price-]"
    for username, price, sme in (("supplier", "128.00", True), ("supplier2", "135.00", True),
                                 ("supplier3", "140.00", False)):
        relogin(page, live_url, username)
        page.goto(agreement_url)
        for other in ("128.00", "135.00", "140.00"):
            if other != price:
                assert page.locator(item_input).input_value() != other
        page.fill(item_input, price)
        if sme:
            page.check("#sme_declared")
        page.get_by_role("button", name="提交响应文件").click()
        page.locator(".alert-success").wait_for()
        assert page.locator(item_input).input_value() == price

    # Sealed: the agency and a buyer see the count, never a price.
    for username in ("agency", "buyer"):
        relogin(page, live_url, username)
        page.goto(agreement_url)
        sealed = page.locator("[data-testid=sealed]").inner_text()
        assert "密封" in sealed and "已收到 3 份" in sealed
        body = page.content()
        assert "128.00" not in body and "135.00" not in body and "140.00" not in body
    relogin(page, live_url, "agency")
    assert page.goto(f"{agreement_url}/responses").status == 403

    # 3. After the deadline the agency opens, evaluates and publishes the shortlist.
    live_clock.advance(days=3)
    page.goto(agreement_url)
    page.get_by_role("button", name="开启响应文件").click()
    page.get_by_role("button", name="计算排名并确定入围").click()
    rows = page.locator("[data-testid=responses] tbody tr")
    expect(rows).to_have_count(3)
    outcomes = [rows.nth(i).locator("[data-testid=outcome]").inner_text() for i in range(3)]
    assert outcomes == ["入围", "入围", "淘汰"]
    assert "数智" in rows.nth(0).inner_text()  # small: 135 × 0.9 = 121.50 ranks first
    page.get_by_role("button", name="发布入围结果公告").click()
    assert page.locator("[data-testid=agreement-status]").inner_text() == "生效"
    members = page.locator("[data-testid=members] tbody tr")
    expect(members).to_have_count(2)

    # 4. A buyer starts a 二次竞价 call-off with a deadline 4 working days away.
    bid_day = add_working_days(local_today(live_clock.now()), 4)
    relogin(page, live_url, "buyer")
    page.goto(agreement_url)
    page.get_by_role("link", name="发起框架协议采购").click()
    page.select_option("#method", "bidding")
    page.fill("#quantity", "100")
    line = page.locator("#budget_line_id option", has_text="办公用品").first.get_attribute("value")
    page.select_option("#budget_line_id", line)
    page.fill("#budget_amount", "13000.00")
    page.fill("#deadline", f"{bid_day.isoformat()}T17:00")
    page.fill("#requirement", "全年办公用纸")
    page.get_by_role("button", name="发起采购").click()
    assert page.locator("[data-testid=calloff-status]").inner_text() == "竞价中"
    calloff_url = page.url.split("?")[0]

    # 5. Both members bid; bids stay sealed for the buyer.
    for username, price in (("supplier2", "120.00"), ("supplier", "118.50")):
        relogin(page, live_url, username)
        page.goto(calloff_url)
        page.fill("[data-testid=bid-form] #unit_price", price)
        page.get_by_role("button", name="提交报价").click()
        page.locator(".alert-success").wait_for()
    relogin(page, live_url, "buyer")
    page.goto(calloff_url)
    assert "已收到 2 份报价" in page.locator("[data-testid=bids-sealed]").inner_text()
    assert "118.50" not in page.content()

    # 6. After the deadline the lowest bid wins and the award becomes an order.
    live_clock.advance(days=(bid_day - local_today(live_clock.now())).days + 1)
    assert to_local(live_clock.now()).date() > bid_day
    page.goto(calloff_url)
    page.get_by_role("button", name="截止后开启报价并确定成交").click()
    assert page.locator("[data-testid=calloff-status]").inner_text() == "已成交"
    assert "联创" in page.locator("[data-testid=awarded]").inner_text()
    assert "¥11,850.00" in page.locator("[data-testid=awarded-total]").inner_text()
    expect(page.locator("[data-testid=result-notice]")).to_have_count(1)
    page.locator("[data-testid=order-link]").click()
    page.wait_for_url(re.compile(r"/orders/\d+$"))
    expect(page.locator("body")).to_contain_text("¥11,850.00")
    expect(page.locator("body")).to_contain_text("A4 复印纸")

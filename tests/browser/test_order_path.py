"""The buying path in real Chromium: offer page → 加入购物车 → cart → checkout (budget line,
payment method) → supplier confirms, ships, marks delivered → buyer accepts (验收).

The payment helper extends this path with the capture and the contract PDF; the search
helper with the search page in front of it (here the buyer reaches the offer from an
earlier order of the demo data)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import login_as

pytestmark = pytest.mark.browser


def test_cart_checkout_confirm_ship_accept(page, live_url):
    login_as(page, live_url, "buyer")
    page.goto(f"{live_url}/orders?status=completed")
    page.locator("[data-testid=order-row] a").first.click()
    page.locator("table a[href^='/offers/']").first.click()
    title = page.locator("[data-testid=offer-title]").inner_text()
    form = page.locator("[data-testid=add-to-cart]")
    form.locator("input[name=quantity]").fill("2")
    form.get_by_role("button", name="加入购物车").click()
    assert "已加入购物车" in page.locator(".alert-success").inner_text()

    page.goto(f"{live_url}/cart")
    assert title in page.locator("[data-testid=cart-line]").first.inner_text()
    page.click("[data-testid=to-checkout]")
    expect(page.locator("[data-testid=checkout-group]")).to_have_count(1)
    line = page.locator("#budget_line_id option", has_text="办公设备购置").get_attribute("value")
    page.select_option("#budget_line_id", value=line)
    page.check("#pm-treasury")
    page.fill("#delivery_address", "杭州市上城区解放东路 18 号 市民中心 D 座 1201")
    page.fill("#contact_name", "王晓燕")
    page.fill("#contact_phone", "0571-87000001")
    page.click("[data-testid=place-order]")
    flash = page.locator(".alert-success").first.inner_text()
    number = re.search(r"DD\d{8}-\d{6}", flash).group(0)
    row = page.locator("[data-testid=order-row]", has_text=number)
    assert "待供应商确认" in row.locator("[data-testid=order-status]").inner_text()

    page.context.clear_cookies()
    login_as(page, live_url, "supplier")
    page.goto(f"{live_url}/orders")
    page.locator("[data-testid=order-row]", has_text=number).locator("a").first.click()
    page.click("[data-testid=confirm]")
    assert "已确认" in page.locator("[data-testid=order-status]").inner_text()
    page.fill("input[name=carrier]", "顺丰速运")
    page.fill("input[name=tracking_no]", "SF1234567890")
    page.click("[data-testid=ship]")
    assert "已发货" in page.locator("[data-testid=order-status]").inner_text()
    page.click("[data-testid=deliver]")
    assert "已送达" in page.locator("[data-testid=order-status]").inner_text()
    order_url = page.url

    page.context.clear_cookies()
    login_as(page, live_url, "buyer")
    page.goto(order_url)
    acceptance = page.locator("[data-testid=acceptance-form]")
    acceptance.locator("#result-pass").check()
    acceptance.locator("#inspector").fill("王晓燕")
    acceptance.locator("#notes").fill("型号、数量与订单一致，外观完好")
    page.click("[data-testid=accept]")
    assert "验收通过" in page.locator("[data-testid=order-status]").inner_text()
    assert "王晓燕" in page.locator("[data-testid=acceptance]").inner_text()
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", page.locator("[data-testid=due-date]").inner_text())
    timeline = page.locator("[data-testid=timeline]").inner_text()
    for step in ("下单", "确认订单", "发货", "确认送达", "验收"):
        assert step in timeline

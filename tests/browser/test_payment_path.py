"""The money path in real Chromium, against the real localstripe: search → cart → checkout
with 公务卡 → supplier confirms (card authorised), ships, delivers → buyer accepts → payment captured →
contract PDF downloads; and 国库集中支付: finance confirms the instruction → order paid."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import login_as

pytestmark = pytest.mark.browser
SUPPLIER_NAME = "杭州联创信息技术有限公司"


def place_order(page, live_url, method: str) -> str:
    """Buyer: search for a product 杭州联创 (the `supplier` account) sold them before, pick
    that supplier's offer in the results → cart → checkout; returns the order number."""
    login_as(page, live_url, "buyer")
    page.goto(f"{live_url}/orders?status=completed")
    page.locator("[data-testid=order-row] a").first.click()
    title = page.locator("table a[href^='/offers/']").first.inner_text()
    page.locator("[data-testid=search-box]").fill(" ".join(title.split()[:2]))  # brand model
    page.click("[data-testid=search-submit]")
    page.locator("[data-testid=results]").wait_for()
    card = page.locator("[data-testid=result], [data-testid=slot]").filter(
        has_text=SUPPLIER_NAME).first
    card.locator("[data-testid=offer-link]").click()
    form = page.locator("[data-testid=add-to-cart]")
    form.locator("input[name=quantity]").fill("1")
    form.get_by_role("button", name="加入购物车").click()
    page.goto(f"{live_url}/cart")
    page.click("[data-testid=to-checkout]")
    line = page.locator("#budget_line_id option", has_text="办公设备购置").get_attribute("value")
    page.select_option("#budget_line_id", value=line)
    page.check(f"#pm-{method}")
    page.fill("#delivery_address", "杭州市上城区解放东路 18 号 市民中心 D 座 1201")
    page.fill("#contact_name", "王晓燕")
    page.fill("#contact_phone", "0571-87000001")
    page.click("[data-testid=place-order]")
    flash = page.locator(".alert-success").first.inner_text()
    return re.search(r"DD\d{8}-\d{6}", flash).group(0)


def supplier_fulfils(page, live_url, number: str) -> str:
    page.context.clear_cookies()
    login_as(page, live_url, "supplier")
    page.goto(f"{live_url}/orders")
    page.locator("[data-testid=order-row]", has_text=number).locator("a").first.click()
    page.click("[data-testid=confirm]")
    assert "已确认" in page.locator("[data-testid=order-status]").inner_text()
    page.click("[data-testid=ship]")
    page.click("[data-testid=deliver]")
    assert "已送达" in page.locator("[data-testid=order-status]").inner_text()
    return page.url


def buyer_accepts(page, live_url, order_url: str) -> None:
    page.context.clear_cookies()
    login_as(page, live_url, "buyer")
    page.goto(order_url)
    acceptance = page.locator("[data-testid=acceptance-form]")
    acceptance.locator("#result-pass").check()
    acceptance.locator("#inspector").fill("王晓燕")
    page.click("[data-testid=accept]")


def test_card_payment_captured_and_contract_downloaded(page, live_url):
    number = place_order(page, live_url, "card")
    order_url = supplier_fulfils(page, live_url, number)
    # the supplier's confirmation authorised the card (after commit)
    page.reload()
    assert "已预授权" in page.locator("[data-testid=payment-status]").inner_text()
    buyer_accepts(page, live_url, order_url)
    assert "已支付" in page.locator("[data-testid=order-status]").inner_text()
    section = page.locator("[data-testid=payment-section]")
    assert "已支付" in section.locator("[data-testid=payment-status]").inner_text()
    assert "pi_" in section.inner_text()
    with page.expect_download() as info:
        section.locator("[data-testid=contract-pdf]").click()
    download = info.value
    assert re.fullmatch(r"HT-\d{4}-330100002-\d{5}\.pdf", download.suggested_filename)
    with open(download.path(), "rb") as fh:
        assert fh.read(5) == b"%PDF-"


def test_treasury_instruction_confirmed_by_finance(page, live_url):
    number = place_order(page, live_url, "treasury")
    order_url = supplier_fulfils(page, live_url, number)
    buyer_accepts(page, live_url, order_url)
    assert "验收通过" in page.locator("[data-testid=order-status]").inner_text()
    assert "待财政确认" in page.locator("[data-testid=payment-section]").inner_text()

    page.context.clear_cookies()
    login_as(page, live_url, "finance")
    page.goto(f"{live_url}/finance/instructions?status=pending")
    row = page.locator("[data-testid^=instruction-]", has_text=number)
    row.get_by_role("button", name="确认支付").click()
    assert "已确认支付" in page.locator(".alert-success").inner_text()

    page.context.clear_cookies()
    login_as(page, live_url, "buyer")
    page.goto(order_url)
    assert "已支付" in page.locator("[data-testid=order-status]").inner_text()


def test_localstripe_delivers_signed_webhooks_recorded_once(live_url, localstripe):
    """No Chromium here: localstripe itself posts signed events to the live server."""
    import time
    from decimal import Decimal

    import requests
    from sqlalchemy import create_engine, select

    from orders.models import StripeEvent
    from orders.stripe_gateway import StripeGateway
    from tests.browser.conftest import LIVE

    r = requests.post(f"{localstripe}/_config/webhooks/mall",
                      data={"url": f"{live_url}/api/v1/payments/stripe/webhook",
                            "secret": "whsec_local_dev"}, timeout=10)
    assert r.status_code == 200
    gw = StripeGateway(localstripe, "sk_test_local")
    ref = gw.authorise(amount=Decimal("12.00"), order_ref="WEBHOOK", idempotency_key="wh-a1",
                       metadata={}).reference
    gw.capture(ref, amount=Decimal("12.00"), idempotency_key="wh-c1")  # payment_intent.succeeded
    engine = create_engine(LIVE["database_url"])
    try:
        deadline = time.monotonic() + 20
        rows = []
        while time.monotonic() < deadline and not rows:
            with engine.connect() as conn:
                rows = conn.execute(select(StripeEvent.event_id, StripeEvent.type)
                                    .where(StripeEvent.object_id == ref)).all()
            time.sleep(0.3)
        assert rows and rows[0].type == "payment_intent.succeeded"
    finally:
        engine.dispose()
        # localstripe cannot remove a webhook; an empty event filter silences it
        requests.post(f"{localstripe}/_config/webhooks/mall", timeout=10,
                      json={"url": f"{live_url}/api/v1/payments/stripe/webhook",
                            "secret": "whsec_local_dev", "events": []})

"""Each demo role logs in through real Chromium and lands on its own home page."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import login_as

pytestmark = pytest.mark.browser

ROLES = [("buyer", "buyer", "杭州市教育局"), ("supplier", "supplier", "杭州联创信息技术有限公司"),
         ("operator", "operator", "待审核供应商"), ("agency", "agency", "集中采购机构工作台"),
         ("regulator", "regulator", "中小企业占比"), ("admin", "admin", "系统管理")]


@pytest.mark.parametrize(("username", "role", "text"), ROLES)
def test_role_logs_in_and_sees_its_home(page, live_url, username, role, text):
    login_as(page, live_url, username)
    home = page.locator(f"[data-testid=home-{role}]")
    home.wait_for()
    assert text in home.inner_text()
    assert username in page.locator("[data-testid=who]").inner_text() or \
        page.locator("[data-testid=who]").is_visible()


def test_wrong_password_shows_a_chinese_message(page, live_url):
    login_as(page, live_url, "buyer", "wrong-password")
    assert "用户名或密码错误" in page.locator(".alert-danger").inner_text()


def test_operator_approves_a_pending_supplier(page, live_url):
    login_as(page, live_url, "operator")
    page.goto(f"{live_url}/operator/suppliers?status=pending")
    row = page.locator("tr", has_text="浙江新锐智能科技有限公司")
    row.get_by_role("button", name="审核通过").click()
    assert "审核通过" in page.locator(".alert-success").inner_text()
    page.goto(f"{live_url}/operator/suppliers?status=active")
    expect(page.locator("tr", has_text="浙江新锐智能科技有限公司")).to_have_count(1)

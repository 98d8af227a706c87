"""Upload → review → outcome: a supplier uploads a file, an operator approves one offer and
rejects another with a reason, and the supplier sees both outcomes (real Chromium)."""

from __future__ import annotations

import pytest

from catalog import upload
from tests.browser.conftest import login_as

pytestmark = pytest.mark.browser


def test_upload_then_approve_and_reject(page, live_url, tmp_path):
    good, other = upload.example_rows()
    good = good | {"model": "浏览器测试-M1", "title": "联想 扬天 浏览器测试台式计算机 M1"}
    other = other | {"model": "浏览器测试-P2", "title": "得力 浏览器测试 A4 复印纸 70g"}
    path = tmp_path / "offers.csv"
    path.write_bytes(upload.to_csv([good, other]))

    login_as(page, live_url, "supplier")
    page.goto(f"{live_url}/supplier/offers/upload")
    page.set_input_files("input[name=file]", str(path))
    page.click("form[enctype] button[type=submit]")
    assert "已导入 2 个商品" in page.locator("[data-testid=upload-result]").inner_text()

    page.context.clear_cookies()
    login_as(page, live_url, "operator")
    page.goto(f"{live_url}/operator/review?q=浏览器测试")
    row = page.locator("tr", has_text="浏览器测试台式计算机 M1")
    row.get_by_role("button", name="通过").click()
    page.locator(".alert-success").wait_for()
    page.goto(f"{live_url}/operator/review?q=浏览器测试")
    row = page.locator("tr", has_text="浏览器测试 A4 复印纸")
    row.locator("select[name=reason_code]").select_option("missing_specs")
    row.locator("input[name=note]").fill("请补充包装规格")
    row.get_by_role("button", name="驳回").click()
    page.locator(".alert-warning").wait_for()

    page.context.clear_cookies()
    login_as(page, live_url, "supplier")
    page.goto(f"{live_url}/supplier/offers")
    approved = page.locator("tr", has_text="浏览器测试台式计算机 M1")
    rejected = page.locator("tr", has_text="浏览器测试 A4 复印纸")
    assert "在售" in approved.locator("[data-testid=status]").inner_text()
    assert "已驳回" in rejected.locator("[data-testid=status]").inner_text()
    assert "请补充包装规格" in rejected.locator("[data-testid=reason]").inner_text()

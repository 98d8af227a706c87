"""Search in the browser: a buyer types pinyin in the search box, sees suggestions, filters
the results by a facet and opens an offer (real Chromium, seeded demo catalogue)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import login_as

pytestmark = pytest.mark.browser


def test_search_filter_by_facet_and_open_an_offer(page, live_url):
    login_as(page, live_url, "buyer")
    box = page.locator("[data-testid=search-box]")
    box.fill("lianx")  # pinyin of 联想, still being typed
    page.wait_for_function(
        "document.querySelectorAll('#search-suggestions option').length > 0")
    suggestions = page.locator("#search-suggestions option").evaluate_all(
        "opts => opts.map(o => o.value)")
    assert any("联想" in s for s in suggestions)

    box.fill("联想 计算机")
    page.click("[data-testid=search-submit]")
    page.locator("[data-testid=results]").wait_for()
    expect(page.locator("[data-testid=result]").first).to_be_visible()

    page.click("[data-testid=facet-category][data-value=A02010108]")  # 便携式计算机
    page.wait_for_url(re.compile(r"category=A02010108"))
    page.locator("[data-testid=active-filters]").wait_for()
    cards = page.locator("[data-testid=result], [data-testid=slot]")
    expect(cards.first).to_be_visible()
    for text in cards.all_inner_texts():
        assert "便携式计算机" in text and "联想" in text

    first = page.locator("[data-testid=result] [data-testid=offer-link]").first
    title = first.inner_text()
    first.click()
    assert page.locator("[data-testid=offer-title]").inner_text() == title

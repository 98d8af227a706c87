"""The search backend of the running app and one search call shared by the API and pages."""

from __future__ import annotations

from flask import current_app, url_for

from mall.errors import DomainError
from search.backend import SearchBackend, SearchUnavailable
from search.service import CategoryIndex, build_query, present, viewer_for


def backend() -> SearchBackend:
    return current_app.extensions["search.backend"]()


class SearchDown(DomainError):
    status = 503
    code = "search_unavailable"


def run(session, args: dict, user, *, store: str | None = None) -> tuple[dict, object]:
    """Search as `user` with validated `args`; returns (presented result, query)."""
    config = current_app.extensions["mall.config"]
    categories = CategoryIndex.cached(session)
    query = build_query(session, args, viewer_for(session, user),
                        slots=config.search_priority_slots, categories=categories, store=store)
    try:
        result = backend().search(query)
    except SearchUnavailable:
        raise SearchDown("商品检索服务暂时不可用，请稍后再试") from None
    data = present(result, categories, query.today,
                   url_for_offer=lambda i: url_for("catalog.offer_detail", offer_id=i))
    return data, query


def suggest(text: str) -> list[str]:
    try:
        return backend().suggest(text)
    except SearchUnavailable:
        return []

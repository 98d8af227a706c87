"""Pages: search results with facets, suggestions for the search box, and the two
storefronts 832 馆 and 绿色馆."""

from __future__ import annotations

from flask import Blueprint, jsonify, render_template, request, url_for
from flask_login import current_user

from mall.errors import ValidationFailed, messages
from mall.web import db, load, page_roles
from search import web
from search.query import SORT_LABELS
from search.schemas import SearchArgs, SuggestArgs
from suppliers.counties import counties_832

bp = Blueprint("search", __name__, template_folder="templates")

LIST_ARGS = ("brand", "size")


def _args() -> dict:
    data: dict = {}
    for key in request.args:
        if key in LIST_ARGS:
            values = [v for v in request.args.getlist(key) if v.strip()]
            if values:
                data[key] = values
        elif request.args[key].strip():
            data[key] = request.args[key].strip()
    try:
        return load(SearchArgs(), data)
    except ValidationFailed as err:  # pages show which filter was wrong
        err.message = "筛选条件有误：" + "；".join(messages(err.errors))
        raise


@bp.context_processor
def _helpers():
    def url_with(endpoint: str | None = None, drop: tuple = (), **changes) -> str:
        """The current page's URL with some arguments changed (page resets to 1)."""
        params = request.args.to_dict(flat=False)
        params.pop("page", None)
        for key in drop:
            params.pop(key, None)
        for key, value in changes.items():
            if value is None:
                params.pop(key, None)
            else:
                params[key] = value
        return url_for(endpoint or request.endpoint, **params)

    def toggle(key: str, value: str) -> str:
        """Add `value` to a multi-valued argument, or remove it when present."""
        values = request.args.getlist(key)
        values = [v for v in values if v != value] if value in values else [*values, value]
        return url_with(**{key: values or None})

    return {"url_with": url_with, "toggle": toggle, "SORT_LABELS": SORT_LABELS}


def _page(template: str, store: str | None = None, **extra):
    args = _args()
    data, query = web.run(db(), args, current_user, store=store)
    return render_template(template, data=data, args=args, query=query, store=store,
                           **extra)


@bp.get("/search")
@page_roles()
def results():
    return _page("search/results.html")


@bp.get("/search/suggest")
@page_roles()
def suggest():
    args = load(SuggestArgs(), {"q": request.args.get("q", "").strip()})
    return jsonify({"suggestions": web.suggest(args["q"])})


@bp.get("/stores/832")
@page_roles()
def store_832():
    """832 馆: farm products of suppliers in the 832 counties, by province, county and
    food category."""
    return _page("search/store_832.html", store="832", counties=counties_832())


@bp.get("/stores/green")
@page_roles()
def store_green():
    """绿色馆: offers with a valid energy-saving or environmental-label certificate."""
    return _page("search/store_green.html", store="green")

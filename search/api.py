"""API: search offers (/api/v1/search), suggestions and the index status."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from mall import outbox
from mall.roles import Role
from mall.web import api_actor, api_roles, db
from search import web
from search.backend import SearchUnavailable
from search.schemas import IndexStatusOut, SearchArgs, SearchOut, SuggestArgs, SuggestOut

blp = Blueprint("search_api", __name__, url_prefix="/search", description="商品检索")


@blp.route("")
class Search(MethodView):
    @api_roles()
    @blp.arguments(SearchArgs, location="query")
    @blp.response(200, SearchOut)
    def get(self, args):
        """Search offers on sale: free text (Chinese, pinyin, synonyms), filters, facets,
        sorts; results grouped by product, priority slots first. `store=832|green` limits
        to a storefront."""
        data, _query = web.run(db(), args, api_actor())
        return data


@blp.route("/suggestions")
class Suggestions(MethodView):
    @api_roles()
    @blp.arguments(SuggestArgs, location="query")
    @blp.response(200, SuggestOut)
    def get(self, args):
        """Completions for a partly typed query (brands and categories)."""
        return {"suggestions": web.suggest(args["q"])}


@blp.route("/status")
class Status(MethodView):
    @api_roles(Role.OPERATOR, Role.ADMIN)
    @blp.response(200, IndexStatusOut)
    def get(self):
        """Which backend, how many documents, how many changes wait in the outbox."""
        backend = web.backend()
        try:
            documents = backend.count()
        except SearchUnavailable:
            raise web.SearchDown("商品检索服务暂时不可用") from None
        return {"backend": backend.name, "documents": documents,
                "outbox_pending": outbox.pending(db())}

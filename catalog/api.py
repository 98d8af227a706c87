"""API: the 品目 categories (/api/v1/categories)."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import fields
from sqlalchemy import select

from catalog.categories import by_code
from catalog.models import Category
from mall.errors import NotFound
from mall.schemas import Schema
from mall.web import db

blp = Blueprint("categories_api", __name__, url_prefix="/categories", description="品目")


class CategoryOut(Schema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()
    parent_id = fields.Integer(allow_none=True)
    depth = fields.Integer()
    mandatory_green = fields.Boolean()
    priority_green = fields.Boolean()
    canteen_food = fields.Boolean()


class CategoryQuery(Schema):
    parent = fields.String(load_default=None, metadata={"description": "parent code"})


@blp.route("")
class Categories(MethodView):
    @blp.arguments(CategoryQuery, location="query")
    @blp.response(200, CategoryOut(many=True))
    def get(self, args):
        """The public 品目 list (whole tree, or the children of `parent`)."""
        query = select(Category).order_by(Category.code)
        if args["parent"]:
            parent = by_code(db(), args["parent"])
            if parent is None:
                raise NotFound("品目不存在", code="category_not_found")
            query = query.where(Category.parent_id == parent.id)
        return list(db().scalars(query))


@blp.route("/<code>")
class CategoryItem(MethodView):
    @blp.response(200, CategoryOut)
    def get(self, code):
        category = by_code(db(), code)
        if category is None:
            raise NotFound("品目不存在", code="category_not_found")
        return category

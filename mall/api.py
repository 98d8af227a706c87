"""API: personal tokens and user administration (/api/v1/auth, /api/v1/users)."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import fields
from sqlalchemy import select

from mall import accounts
from mall.roles import ROLE_LABELS, Role
from mall.schemas import Choice, PageArgs, Pagination, Schema, Text
from mall.web import api_actor, api_roles, commit_despite_error, config, db, paginate

blp = Blueprint("auth_api", __name__, url_prefix="", description="账号与令牌")


class TokenRequest(Schema):
    username = Text(max_len=64)
    password = Text(max_len=200)
    name = Text(max_len=100, load_default="API 令牌", required=False)


class TokenOut(Schema):
    id = fields.Integer()
    name = fields.String()
    prefix = fields.String()
    token = fields.String(metadata={"description": "shown once; store it safely"})


class UserIn(Schema):
    username = Text(max_len=64)
    display_name = Text(max_len=100)
    role = Choice(list(Role), labels=ROLE_LABELS)
    password = Text(max_len=200)
    budget_unit_id = fields.Integer(load_default=None, allow_none=True)
    supplier_id = fields.Integer(load_default=None, allow_none=True)


class UserOut(Schema):
    id = fields.Integer()
    username = fields.String()
    display_name = fields.String()
    role = fields.String()
    budget_unit_id = fields.Integer(allow_none=True)
    supplier_id = fields.Integer(allow_none=True)
    active = fields.Boolean()


class UserPage(Pagination):
    items = fields.List(fields.Nested(UserOut))


@blp.route("/auth/tokens")
class Tokens(MethodView):
    @blp.arguments(TokenRequest)
    @blp.response(201, TokenOut)
    def post(self, data):
        """Exchange a username and password for a personal API token (throttled)."""
        cfg = config()
        commit_despite_error()  # keep the failed-login counter
        user = accounts.authenticate(db(), data["username"], data["password"],
                                     max_failures=cfg.login_max_failures,
                                     lock_minutes=cfg.login_lock_minutes)
        token, plain = accounts.issue_token(db(), user, data["name"])
        return {"id": token.id, "name": token.name, "prefix": token.prefix, "token": plain}


@blp.route("/auth/tokens/<int:token_id>")
class TokenItem(MethodView):
    @api_roles()
    @blp.response(204)
    def delete(self, token_id):
        """Revoke one of your own tokens."""
        accounts.revoke_token(db(), api_actor(), token_id)


@blp.route("/me")
class Me(MethodView):
    @api_roles()
    @blp.response(200, UserOut)
    def get(self):
        return api_actor()


@blp.route("/users")
class Users(MethodView):
    @api_roles(Role.ADMIN)
    @blp.arguments(PageArgs, location="query")
    @blp.response(200, UserPage)
    def get(self, args):
        query = select(accounts.User).order_by(accounts.User.id)
        return paginate(db(), query, args["page"], args["per_page"])

    @api_roles(Role.ADMIN)
    @blp.arguments(UserIn)
    @blp.response(201, UserOut)
    def post(self, data):
        return accounts.create_user(db(), api_actor(), **data)

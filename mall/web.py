"""The web kernel shared by every package's pages and API: the per-request session,
authentication (session login for pages, bearer tokens for the API), role checks, and
the error envelope."""

from __future__ import annotations

from functools import wraps
from urllib.parse import urlsplit

from flask import abort, current_app, flash, g, request
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mall.errors import DomainError, Forbidden, messages


def db() -> Session:
    """The request's session; created on first use, committed once after the response."""
    if "db" not in g:
        g.db = current_app.extensions["mall.session_factory"]()
    return g.db


def commit_despite_error() -> None:
    """Keep this request's writes even though it answers 4xx (failed-login counters)."""
    g.commit_despite_error = True


def config():
    return current_app.extensions["mall.config"]


class AuthRequired(DomainError):
    status = 401
    code = "auth_required"


def _bearer_user():
    from mall.accounts import user_for_token

    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return None
    return user_for_token(db(), header[7:].strip())


def api_actor():
    """The API caller, authenticated by a personal token (`Authorization: Bearer …`)."""
    if "api_actor" not in g:
        g.api_actor = _bearer_user()
    return g.api_actor


def api_roles(*roles):
    """Require a token, and one of `roles` when given. Place above `@blp.arguments`."""

    def decorator(fn):
        @wraps(fn)
        def wrapper(*args, **kwargs):
            actor = api_actor()
            if actor is None:
                raise AuthRequired("请提供有效的 API 令牌（Authorization: Bearer …）")
            if roles and actor.role not in roles:
                raise Forbidden("当前角色无权执行此操作", code="role_forbidden")
            return fn(*args, **kwargs)

        return wrapper

    return decorator


def page_roles(*roles):
    """Pages: require a logged-in user with one of `roles` (403 otherwise)."""

    def decorator(fn):
        @wraps(fn)
        def wrapper(*args, **kwargs):
            if not current_user.is_authenticated:
                return current_app.login_manager.unauthorized()
            if roles and current_user.role not in roles:
                abort(403)
            return fn(*args, **kwargs)

        return wrapper

    return decorator


def paginate(session: Session, query, page: int, per_page: int):
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    items = list(session.scalars(query.limit(per_page).offset((page - 1) * per_page)))
    return {"items": items, "page": page, "per_page": per_page, "total": total}


def form_data() -> dict:
    """A page form as a dict for a marshmallow schema: drops the CSRF token and empty fields."""
    return {k: v.strip() for k, v in request.form.items() if k != "csrf_token" and v.strip()}


def form_fields(*names: str) -> dict:
    """The named fields of the page form (stripped, empty ones dropped), for `load`."""
    data = form_data()
    return {k: data[k] for k in names if k in data}


def undo_and_flash(err: DomainError) -> None:
    """A page action was refused: drop whatever it wrote before the refusal (the redirect
    that follows would otherwise commit it), and flash why, with per-field details if any."""
    db().rollback()
    details = "；".join(messages(err.errors))
    flash(f"操作未执行：{err.message}" + (f"（{details}）" if details else ""), "error")


def load(schema, data: dict) -> dict:
    """Validate data with a marshmallow schema; raises ValidationFailed (400) with the
    per-field messages, the same as the API answers."""
    from marshmallow import ValidationError

    from mall.errors import ValidationFailed

    try:
        return schema.load(data)
    except ValidationError as err:
        raise ValidationFailed("提交的数据有误，请检查标出的字段", errors=err.messages) from None


def load_form(schema) -> dict:
    """Validate the request's page form (see `load`)."""
    return load(schema, form_data())


def safe_next(target: str | None) -> str | None:
    """A same-site path to go back to after a form, or None (no open redirects)."""
    if target and target.startswith("/") and not target.startswith("//") \
            and not urlsplit(target).netloc:
        return target
    return None


def now():
    """The current UTC time for rules with deadlines: the app's clock when one is installed
    (`app.extensions["mall.clock"]`, e.g. a `mall.clock.MovableClock` in tests), else real time."""
    from mall.clock import utcnow

    return current_app.extensions.get("mall.clock", utcnow)()

"""The composition root: `create_app(config)` wires the kernel and every domain package."""

from __future__ import annotations

import logging
import threading

import marshmallow as ma
from flask import Flask, g, jsonify, render_template, request
from flask_bootstrap import Bootstrap5
from flask_login import LoginManager
from flask_smorest import Api
from flask_wtf.csrf import CSRFError, CSRFProtect
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, OperationalError
from werkzeug.exceptions import HTTPException

from mall import audit  # noqa: F401  (registers the append-only guard)
from mall.clock import to_local
from mall.config import Config
from mall.db import make_engine, make_session_factory
from mall.errors import Conflict, DomainError, ValidationFailed
from mall.money import fmt_cny
from mall.outbox import Dispatcher, drain
from mall.regions import regions_label
from mall.roles import ROLE_LABELS, Role

log = logging.getLogger(__name__)

HTTP_CODES = {400: ("bad_request", "请求无效"), 401: ("auth_required", "请先登录或提供 API 令牌"),
              403: ("forbidden", "无权访问"), 404: ("not_found", "找不到请求的资源"),
              405: ("method_not_allowed", "不支持该请求方法"),
              409: ("conflict", "与当前状态冲突"), 413: ("too_large", "上传内容过大"),
              415: ("unsupported_media_type", "不支持的内容类型"),
              429: ("too_many_requests", "请求过于频繁"), 500: ("internal_error", "服务器内部错误")}


def _flatten(messages) -> dict:
    """webargs nests errors by location ({"json": {...}}); the envelope lists them by field."""
    if not isinstance(messages, dict):
        return {"_schema": messages if isinstance(messages, list) else [str(messages)]}
    flat: dict = {}
    for location, errors in messages.items():
        if location in ("json", "query", "form", "files", "headers") and isinstance(errors, dict):
            flat.update(errors)
        else:
            flat[location] = errors
    return flat


DATABASE_BUSY = DomainError("系统繁忙，本次操作未保存，请稍后重试", code="database_busy", status=503)


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.path == "/healthz"


def error_response(err: DomainError):
    if wants_json():
        return jsonify(err.envelope()), err.status
    return render_template("error.html", error=err), err.status


class MallApi(Api):
    """flask-smorest with the project's one error envelope {"code", "message", "errors"}."""

    def handle_http_exception(self, error: HTTPException):
        data = getattr(error, "data", None) or {}
        status = error.code or 500
        if status == 422 or (status == 400 and "messages" in data):
            err = ValidationFailed("提交的数据有误，请检查标出的字段",
                                   errors=_flatten(data.get("messages", {})))
            if "Invalid JSON body." in str(data.get("messages")):
                err = ValidationFailed("请求体不是有效的 JSON", code="invalid_json",
                                       errors=_flatten(data.get("messages", {})))
            return error_response(err)
        code, message = HTTP_CODES.get(status, ("http_error", error.name))
        if status >= 500:
            log.exception("server error", exc_info=error)
        err = DomainError(data.get("message", message), code=code, status=status)
        return error_response(err)


def create_app(config: Config | None = None) -> Flask:
    config = config or Config.from_env()
    config.instance_path.mkdir(parents=True, exist_ok=True)
    app = Flask(__name__, instance_path=str(config.instance_path))
    app.config.update(
        SECRET_KEY=config.secret_key,
        TESTING=config.testing,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=config.session_cookie_secure,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=config.session_cookie_secure,
        MAX_CONTENT_LENGTH=32 * 1024 * 1024,
        WTF_CSRF_TIME_LIMIT=None,
        BOOTSTRAP_SERVE_LOCAL=True,
        API_TITLE="政采商城 API",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api/v1",
        OPENAPI_JSON_PATH="openapi.json",
        JSON_AS_ASCII=False,
    )
    app.json.ensure_ascii = False
    engine = make_engine(config.database_url)
    app.extensions["mall.config"] = config
    app.extensions["mall.engine"] = engine
    app.extensions["mall.session_factory"] = make_session_factory(engine)
    app.extensions["mall.dispatcher"] = Dispatcher()

    _wire_session(app)
    _wire_auth(app)
    _wire_errors(app)
    Bootstrap5(app)
    _wire_templates(app)
    _register(app)
    _wire_search(app)
    return app


def _wire_session(app: Flask) -> None:
    @app.after_request
    def commit_at_boundary(response):
        session = g.pop("db", None)
        if session is None:
            return response
        emitted = False
        try:
            if response.status_code < 400 or g.get("commit_despite_error"):
                session.commit()
                emitted = session.info.pop("outbox_emitted", False)
            else:
                session.rollback()
        except IntegrityError:
            session.rollback()
            log.warning("integrity error at commit", exc_info=True)
            response = error_response(Conflict("数据与已有记录冲突，请刷新后重试",
                                               code="integrity_conflict"))[0]
            response.status_code = 409
        except OperationalError:
            session.rollback()
            log.warning("database busy at commit", exc_info=True)
            response = error_response(DATABASE_BUSY)[0]
            response.status_code = DATABASE_BUSY.status
        finally:
            session.close()
        if emitted and app.extensions["mall.config"].outbox_inline:
            drain_inline(app)
        return response

    @app.teardown_request
    def close_session(_exc):
        session = g.pop("db", None)
        if session is not None:
            session.rollback()
            session.close()


def drain_inline(app: Flask) -> None:
    """Deliver the outbox right after a commit; a failure never fails the request (the
    events stay pending and a later drain or `mall worker` catches up)."""
    try:
        drain(app.extensions["mall.session_factory"], app.extensions["mall.dispatcher"])
    except Exception:  # noqa: BLE001 - delivery is retried later
        log.warning("inline outbox drain failed", exc_info=True)


def _wire_search(app: Flask) -> None:
    """Search: capture catalogue changes into the outbox, deliver them to the backend
    (created on first use; `SEARCH_BACKEND` picks embedded or Elasticsearch)."""
    from search import sync as search_sync
    from search.backend import make_backend

    holder: dict = {}
    lock = threading.Lock()

    def backend():
        if "backend" not in holder:
            with lock:  # waitress threads: build it once
                if "backend" not in holder:
                    holder["backend"] = make_backend(app.extensions["mall.config"])
        return holder["backend"]

    search_sync.capture_changes()
    app.extensions["search.backend"] = backend
    search_sync.register(app.extensions["mall.dispatcher"],
                         lambda: app.extensions["search.backend"]())


def _wire_auth(app: Flask) -> None:
    from mall.accounts import User
    from mall.web import db

    login = LoginManager(app)
    login.login_view = "mall.login"
    login.login_message = "请先登录"
    login.login_message_category = "warning"
    login.session_protection = "strong"

    @login.user_loader
    def load_user(user_id: str):
        user = db().get(User, int(user_id)) if user_id.isdigit() else None
        return user if user is not None and user.active else None

    csrf = CSRFProtect(app)
    app.extensions["mall.csrf"] = csrf


def _wire_errors(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def domain_error(err: DomainError):
        return error_response(err)

    @app.errorhandler(ma.ValidationError)
    def schema_error(err: ma.ValidationError):
        return error_response(ValidationFailed("提交的数据有误，请检查标出的字段",
                                               errors=_flatten(err.messages)))

    @app.errorhandler(IntegrityError)
    def integrity_error(err: IntegrityError):
        log.warning("integrity error", exc_info=err)
        return error_response(Conflict("数据与已有记录冲突，请刷新后重试",
                                       code="integrity_conflict"))

    @app.errorhandler(OperationalError)
    def database_busy(err: OperationalError):
        # A lock wait that ran out (SQLite "database is locked"), a deadlock or serialisation
        # failure (PostgreSQL): the transaction is rolled back, nothing was written.
        log.warning("database busy", exc_info=err)
        return error_response(DATABASE_BUSY)

    @app.errorhandler(CSRFError)
    def csrf_error(err: CSRFError):
        return error_response(DomainError("页面已过期或来源无效，请刷新页面后重新提交",
                                          code="csrf_failed", status=400))


def _wire_templates(app: Flask) -> None:
    app.jinja_env.filters["cny"] = fmt_cny

    def local_time(value, fmt: str = "%Y-%m-%d %H:%M"):
        local = to_local(value)
        return local.strftime(fmt) if local else "—"

    app.jinja_env.filters["localtime"] = local_time
    app.jinja_env.filters["regions"] = regions_label
    app.jinja_env.globals.update(ROLE_LABELS=ROLE_LABELS, Role=Role)


def _register(app: Flask) -> None:
    from catalog import api as catalog_api
    from catalog import views as catalog_views
    from mall import api as mall_api
    from mall import views as mall_views
    from orders import api as orders_api
    from orders import calloffs_api, calloffs_views, payment_api, payment_views, payments
    from orders import views as orders_views
    from search import api as search_api
    from search import views as search_views
    from suppliers import agreements_api, agreements_views
    from suppliers import api as suppliers_api
    from suppliers import views as suppliers_views

    api = MallApi(app)
    csrf = app.extensions["mall.csrf"]
    api_blueprints = [mall_api.blp, orders_api.blp, suppliers_api.blp, catalog_api.blp,
                      catalog_api.offers_blp, catalog_api.review_blp, search_api.blp]
    api_blueprints += [orders_api.cart_blp, orders_api.orders_blp, payment_api.blp,
                       agreements_api.blp, calloffs_api.blp]
    for blp in api_blueprints:
        csrf.exempt(blp)  # the API authenticates with bearer tokens, not cookies
        api.register_blueprint(blp, url_prefix=f"/api/v1{blp.url_prefix or ''}")
    for module in (mall_views, orders_views, suppliers_views, catalog_views, payment_views,
                   agreements_views, calloffs_views, search_views):
        app.register_blueprint(module.bp)
    # Outbox handlers: payment operations run after the commit that recorded them.
    app.extensions["mall.dispatcher"].on(
        payments.TOPIC, payments.build_executor(app.extensions["mall.config"]).handle)

    @app.get("/healthz")
    def healthz():
        from mall.web import db

        checks = {}
        try:
            db().execute(text("SELECT 1"))
            checks["database"] = "ok"
        except Exception as exc:  # noqa: BLE001 - a health check reports, it does not raise
            checks["database"] = f"error: {exc.__class__.__name__}"
        healthy = all(v == "ok" for v in checks.values())
        return jsonify({"status": "ok" if healthy else "degraded", "checks": checks}), (
            200 if healthy else 503)

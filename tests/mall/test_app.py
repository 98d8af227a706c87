"""The application shell: health, OpenAPI, the error envelope, cookie settings."""

from __future__ import annotations

from mall.audit import AuditEvent
from mall.roles import Role
from tests import factories
from tests.conftest import bearer, login


def test_healthz_reports_database(client):
    res = client.get("/healthz")
    assert res.status_code == 200
    assert res.json == {"status": "ok", "checks": {"database": "ok"}}


def test_openapi_document_lists_the_api(client):
    res = client.get("/api/v1/openapi.json")
    assert res.status_code == 200
    paths = res.json["paths"]
    for path in ("/api/v1/auth/tokens", "/api/v1/users", "/api/v1/units",
                 "/api/v1/suppliers/register", "/api/v1/categories"):
        assert path in paths


def test_unknown_api_path_is_a_404_envelope(client):
    res = client.get("/api/v1/nothing-here")
    assert res.status_code == 404
    assert res.json == {"code": "not_found", "message": "找不到请求的资源", "errors": {}}


def test_wrong_method_is_a_405_envelope(client):
    res = client.delete("/api/v1/categories")
    assert res.status_code == 405
    assert res.json["code"] == "method_not_allowed"


def test_malformed_json_is_a_400_not_a_500(client, db):
    admin = factories.user(db, Role.ADMIN)
    res = client.post("/api/v1/units", data="{not json", content_type="application/json",
                      headers=bearer(db, admin))
    assert res.status_code == 400
    assert res.json["code"] in ("invalid_json", "validation_error")


def test_unknown_fields_are_refused_by_name(client, db):
    admin = factories.user(db, Role.ADMIN)
    res = client.post("/api/v1/units", headers=bearer(db, admin), json={
        "code": "X1", "name": "单位", "region_code": "330100", "level": "municipal",
        "colour": "red"})
    assert res.status_code == 400
    assert res.json["code"] == "validation_error"
    assert res.json["errors"] == {"colour": ["不允许的字段"]}


def test_session_cookie_is_http_only_and_same_site(client, db):
    user = factories.user(db, Role.OPERATOR)
    res = login(client, user.username, factories.PASSWORD)
    cookies = [c for c in res.headers.getlist("Set-Cookie") if c.startswith("session=")]
    assert cookies, res.headers
    assert "HttpOnly" in cookies[-1]
    assert "SameSite=Lax" in cookies[-1]


def test_audit_events_are_append_only(db):
    factories.unit(db)
    event = db.query(AuditEvent).order_by(AuditEvent.id.desc()).first()
    assert event.action == "budget_unit.create"
    event.action = "tampered"
    try:
        db.flush()
    except RuntimeError as exc:
        assert "append-only" in str(exc)
    else:
        raise AssertionError("an audit event was rewritten")
    db.rollback()


def test_a_database_lock_timeout_is_a_503_envelope_not_a_500(engine, db_url, tmp_path):
    """SQLite's "database is locked" (or a PostgreSQL deadlock) answers 503 database_busy."""
    from sqlalchemy.exc import OperationalError

    from mall.app import create_app
    from mall.config import Config

    app = create_app(Config.from_env(database_url=db_url, testing=True, secret_key="t",
                                     instance_path=tmp_path))

    @app.get("/api/v1/_locked")
    def locked():
        raise OperationalError("UPDATE offers SET stock = stock - 1", {},
                               Exception("database is locked"))

    response = app.test_client().get("/api/v1/_locked")
    assert response.status_code == 503
    assert response.get_json()["code"] == "database_busy"
    assert "稍后重试" in response.get_json()["message"]
    app.extensions["mall.engine"].dispose()

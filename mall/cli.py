"""The `mall` command: db upgrade/check, seed-demo, serve, jobs, create-user, worker,
reindex, check-index."""

from __future__ import annotations

import os

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext
from sqlalchemy import func, select

from mall.db import session_scope


def _factory():
    return current_app.extensions["mall.session_factory"]


def _url() -> str:
    return current_app.extensions["mall.config"].database_url


def _create_app():
    from mall.app import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_default_commands=False)
def main():
    """政采商城 management command."""


@main.group()
def db():
    """Database schema (Alembic migrations)."""


@db.command("upgrade")
@with_appcontext
def db_upgrade():
    """Apply every migration (creates the SQLite file under instance/ when needed)."""
    from mall import migrate

    migrate.upgrade(_url())
    click.echo("数据库已升级到最新版本")


@db.command("check")
@with_appcontext
def db_check():
    """Fail when the models and the migrations disagree."""
    from mall import migrate

    migrate.check(_url())
    click.echo("模型与迁移一致")


@main.command("seed-demo")
@click.option("--if-empty", is_flag=True, help="Only seed when there are no users yet.")
@with_appcontext
def seed_demo(if_empty: bool):
    """Load deterministic demo data and print the demo accounts."""
    from mall.accounts import User
    from mall.seed import DEMO_PASSWORD, seed

    with session_scope(_factory()) as session:
        if if_empty and session.scalar(select(func.count()).select_from(User)):
            click.echo("数据库已有数据，跳过演示数据")
            return
        accounts = seed(session)
    from search import sync
    from search.backend import SearchUnavailable

    try:
        count = sync.reindex(_factory(), current_app.extensions["search.backend"]())
        click.echo(f"检索索引已建立：{count} 个在售报价")
    except SearchUnavailable as exc:
        click.echo(f"检索服务暂不可用，稍后请运行 mall reindex：{exc}")
    click.echo(f"演示账号（密码均为 {DEMO_PASSWORD}）：")
    for username, role, note in accounts:
        click.echo(f"  {username:<14} {role:<10} {note}")


@main.command("serve")
@click.option("--host", default="127.0.0.1")
@click.option("--port", default=lambda: int(os.environ.get("PORT", "5000")), type=int)
@click.option("--threads", default=8, type=int)
def serve(host: str, port: int, threads: int):
    """Serve the mall with waitress (production-grade WSGI server)."""
    from waitress import serve as waitress_serve

    from mall.app import create_app

    app = create_app()
    with app.app_context():
        prepare_search(app)
    click.echo(f"政采商城运行于 http://{host}:{port}/")
    waitress_serve(app, host=host, port=port, threads=threads)


def prepare_search(app) -> None:
    """Before serving: build the search index when it is empty but offers are on sale (a
    fresh machine or a new index file), then deliver what waits in the outbox."""
    from catalog.models import Offer
    from mall.outbox import drain
    from search import sync
    from search.backend import SearchUnavailable

    factory = app.extensions["mall.session_factory"]
    try:
        backend = app.extensions["search.backend"]()
        with factory() as session:
            on_sale = session.scalar(select(func.count()).select_from(Offer)
                                     .where(Offer.status == "active"))
        if on_sale and not backend.count():
            click.echo(f"正在建立检索索引（{on_sale} 个在售报价）……")
            sync.reindex(factory, backend)
        drain(factory, app.extensions["mall.dispatcher"], limit=10_000)
    except SearchUnavailable as exc:
        click.echo(f"检索服务暂不可用，变更会在其恢复后补投：{exc}")


def _job_suppliers_and_offers(cfg) -> list[str]:
    """Lift suspensions whose due date passed; expire offers not re-confirmed in time."""
    from catalog.offers import expire_stale
    from mall.clock import local_today, utcnow
    from suppliers.status import lift_expired

    with session_scope(_factory()) as session:
        lifted = lift_expired(session, local_today())
        expired = expire_stale(session, utcnow())
    return [f"恢复到期暂停/禁止的供应商：{len(lifted)} 家；过期下架报价：{len(expired)} 个"]


def _job_unconfirmed_orders(cfg) -> list[str]:
    """Cancel orders the supplier did not confirm in time (releasing stock and budget)."""
    from mall.clock import local_today
    from orders.flow import cancel_unconfirmed

    with session_scope(_factory()) as session:
        cancelled = cancel_unconfirmed(session, local_today())
    return [f"供应商逾期未确认、自动取消的订单：{len(cancelled)} 个"]


def _job_payments(cfg) -> list[str]:
    """Re-authorise card holds that would lapse; resubmit operations that met an unreachable
    provider; deliver them at once when the outbox runs inline."""
    from mall.outbox import drain
    from orders import payments

    with session_scope(_factory()) as session:
        reauth = payments.reauthorise_expiring(session, margin_days=cfg.card_reauth_margin_days)
        again = payments.retry_unreachable(session)
    if (reauth or again) and cfg.outbox_inline:
        drain(_factory(), current_app.extensions["mall.dispatcher"])
    return [f"即将过期、提交重新授权的公务卡预授权：{len(reauth)} 笔",
            f"支付服务曾不可达、重新提交的支付操作：{len(again)} 笔"]


def _job_agreements_and_calloffs(cfg) -> list[str]:
    """Expire framework agreements past their term; close second-stage bidding past its
    deadline (placing the awarded order); pass on rotation turns not confirmed in time."""
    from functools import partial

    from mall.clock import local_today, utcnow
    from orders import calloffs, rules
    from suppliers.agreements import expire_due

    policy = rules.Policy.from_config(cfg)
    with session_scope(_factory()) as session:
        ended = expire_due(session, local_today())
        closed = calloffs.close_due_bidding(
            session, utcnow(), place_order=partial(calloffs.order_for_award, policy=policy))
        lapsed = calloffs.lapse_due_turns(session, utcnow())
    return [f"到期的框架协议：{len(ended)} 个；截止后确定成交（或未成交）的二次竞价：{len(closed)} 个；"
            f"逾期未确认、已顺延的轮候：{len(lapsed)} 个"]


# The steps of `mall jobs`, in order; each commits on its own and returns its output lines.
JOB_STEPS = (
    _job_suppliers_and_offers,
    _job_unconfirmed_orders,
    _job_payments,
    _job_agreements_and_calloffs,
)


@main.command("jobs")
@with_appcontext
def jobs():
    """Run the clock jobs once: lift suspensions whose due date passed, expire stale offers,
    cancel orders the supplier did not confirm in time (releasing stock and budget),
    re-authorise card holds that would lapse before the order is accepted, resubmit payment
    operations that failed because the provider was unreachable, expire framework agreements,
    close due second-stage bidding and pass on lapsed rotation turns."""
    cfg = current_app.extensions["mall.config"]
    for step in JOB_STEPS:
        for line in step(cfg):
            click.echo(line)


@main.command("create-user")
@click.argument("username")
@click.argument("role")
@click.option("--password", prompt=True, hide_input=True)
@click.option("--name", default=None)
@click.option("--unit-id", type=int, default=None)
@click.option("--supplier-id", type=int, default=None)
@with_appcontext
def create_user(username, role, password, name, unit_id, supplier_id):
    """Create an account (e.g. the first admin)."""
    from mall.accounts import create_user as create

    with session_scope(_factory()) as session:
        create(session, None, username=username, display_name=name or username, role=role,
               password=password, budget_unit_id=unit_id, supplier_id=supplier_id)
    click.echo(f"已创建用户 {username}")


@main.command("worker")
@click.option("--once", is_flag=True, help="Drain what is due once and exit.")
@click.option("--batch", default=500, type=int, help="Events per drain.")
@click.option("--interval", default=1.0, type=float, help="Seconds to sleep when idle.")
@with_appcontext
def worker(once: bool, batch: int, interval: float):
    """Deliver the transactional outbox (several workers may run side by side)."""
    import time

    from mall.outbox import drain

    dispatcher = current_app.extensions["mall.dispatcher"]
    while True:
        result = drain(_factory(), dispatcher, limit=batch)
        if result.processed or result.failed:
            click.echo(f"已投递 {result.processed} 条事件，失败 {result.failed} 条")
        if once:
            return
        if result.processed + result.failed < batch:
            time.sleep(interval)


@main.command("reindex")
@with_appcontext
def reindex():
    """Rebuild the search index from the database (no downtime: build, then switch)."""
    import time

    from search import sync

    backend = current_app.extensions["search.backend"]()
    started = time.perf_counter()
    count = sync.reindex(_factory(), backend)
    seconds = time.perf_counter() - started
    click.echo(f"已重建检索索引（{backend.name}）：{count} 个在售报价，用时 {seconds:.1f} 秒"
               f"（{count / seconds if seconds else 0:.0f} 个/秒）")


@main.command("check-index")
@click.option("--repair", is_flag=True, help="Index the missing and stale documents, drop extra.")
@with_appcontext
def check_index(repair: bool):
    """Compare the search index with the database; exit 1 when they drift apart."""
    from search import sync

    backend = current_app.extensions["search.backend"]()
    drift = sync.check(_factory(), backend)
    with session_scope(_factory()) as session:
        click.echo(f"检索后端：{backend.name}；应有文档 {drift.expected}，已索引 {drift.indexed}，"
                   f"待投递事件 {drift.outbox_pending}")
        for label, ids in (("缺失", drift.missing), ("过期", drift.stale), ("多余", drift.extra)):
            shown = "、".join(map(str, ids[:20])) + ("……" if len(ids) > 20 else "")
            click.echo(f"  {label} {len(ids)} 个" + (f"：{shown}" if ids else ""))
        if drift.clean:
            click.echo("索引与数据库一致")
            return
        if repair:
            sync.repair(session, backend, drift)
            click.echo("已修复")
            return
    raise SystemExit(1)


@main.command("localstripe-webhook")
@click.option("--url", default="http://127.0.0.1:5000/api/v1/payments/stripe/webhook",
              help="The mall's webhook endpoint.")
@click.option("--wait", default=10.0, type=float, help="Seconds to wait for localstripe.")
@with_appcontext
def localstripe_webhook(url: str, wait: float):
    """Ask localstripe (its private /_config API; real Stripe is configured in its dashboard)
    to post signed events to the mall's webhook. A development convenience of `make run`."""
    import time
    import urllib.error
    import urllib.parse
    import urllib.request

    cfg = current_app.extensions["mall.config"]
    data = urllib.parse.urlencode({"url": url, "secret": cfg.stripe_webhook_secret}).encode()
    deadline = time.monotonic() + wait
    while True:
        try:
            urllib.request.urlopen(f"{cfg.stripe_api_base}/_config/webhooks/mall", data,
                                   timeout=5).close()
            break
        except (urllib.error.URLError, OSError) as exc:
            if time.monotonic() > deadline:
                raise click.ClickException(
                    f"localstripe 未响应（{cfg.stripe_api_base}）：{exc}") from exc
            time.sleep(0.5)
    click.echo(f"localstripe 的 webhook 事件将发送到 {url}")

"""Fresh databases for the suite: SQLite files or PostgreSQL databases, upgraded by Alembic."""

from __future__ import annotations

import os
import tempfile

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from mall import migrate

TMP = tempfile.mkdtemp(prefix="mall-tests-")


def base_url() -> str:
    """MALL_TEST_DATABASE_URL selects PostgreSQL; otherwise a SQLite file per database."""
    return os.environ.get("MALL_TEST_DATABASE_URL", "")


def is_postgres() -> bool:
    return base_url().startswith("postgresql")


def fresh_database(name: str) -> str:
    """An empty database called `name` (dropped first if it exists), migrated to head."""
    url = base_url()
    if url.startswith("postgresql"):
        server = make_url(url)
        if name == "main":  # the configured database itself: empty its schema
            target = server.render_as_string(hide_password=False)
            eng = create_engine(target)
            with eng.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
            eng.dispose()
        else:  # a sibling database, e.g. mall_test_browser
            db_name = f"{server.database}_{name}"
            admin = create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)'))
                conn.execute(text(f'CREATE DATABASE "{db_name}"'))
            admin.dispose()
            target = server.set(database=db_name).render_as_string(hide_password=False)
    else:
        path = os.path.join(TMP, f"{name}.db")
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(path + suffix):
                os.remove(path + suffix)
        target = f"sqlite:///{path}"
    migrate.upgrade(target)
    return target

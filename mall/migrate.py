"""Run Alembic from code: `mall db upgrade` / `mall db check`, and the test fixtures."""

from __future__ import annotations

from alembic import command
from alembic.config import Config as AlembicConfig

from mall.config import PROJECT_ROOT


def alembic_config(url: str) -> AlembicConfig:
    cfg = AlembicConfig(str(PROJECT_ROOT / "alembic.ini"))
    cfg.attributes["url"] = url
    cfg.attributes["configure_logger"] = False
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


def check(url: str) -> None:
    """Raise if the models and the migrations disagree (alembic check)."""
    command.check(alembic_config(url))

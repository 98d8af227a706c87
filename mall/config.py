"""Configuration from environment variables, with defaults that work on a fresh machine."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _bool(value: str | None, default: bool) -> bool:
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


@dataclass
class Config:
    """Everything the application reads at start-up. Build it with `Config.from_env()`."""

    instance_path: Path = PROJECT_ROOT / "instance"
    database_url: str = ""
    secret_key: str = "dev-only-change-me"
    session_cookie_secure: bool = False
    testing: bool = False
    search_backend: str = "embedded"
    elasticsearch_url: str = "http://127.0.0.1:9200"
    stripe_api_base: str = "http://127.0.0.1:8420"
    stripe_api_key: str = "sk_test_local"
    # Login throttling: lock an account for `login_lock_minutes` after this many failures.
    login_max_failures: int = 5
    login_lock_minutes: int = 15
    # 分散采购限额 default per order (CNY); units may override.
    purchase_limit_default: Decimal = Decimal("1000000.00")
    # Listing review: flag prices above the median of other offers by more than this ratio.
    review_median_ratio: Decimal = Decimal("0.20")
    # Transactional outbox: drain right after each request's commit (off when `mall worker` runs).
    outbox_inline: bool = True
    # Search: synonyms file (one comma-separated group a line; default search/data/synonyms.txt),
    # the number of priority slots for green / 832 offers, the Elasticsearch alias.
    search_synonyms_file: str = ""
    search_priority_slots: int = 3
    elasticsearch_index: str = "offers"
    extra: dict = field(default_factory=dict)

    @classmethod
    def from_env(cls, **overrides) -> Config:
        env = os.environ
        instance = Path(env.get("MALL_INSTANCE_PATH", PROJECT_ROOT / "instance"))
        cfg = cls(
            instance_path=instance,
            database_url=env.get("DATABASE_URL", f"sqlite:///{instance / 'mall.db'}"),
            secret_key=env.get("SECRET_KEY", "dev-only-change-me"),
            session_cookie_secure=_bool(env.get("SESSION_COOKIE_SECURE"), False),
            search_backend=env.get("SEARCH_BACKEND", "embedded"),
            elasticsearch_url=env.get("ELASTICSEARCH_URL", "http://127.0.0.1:9200"),
            stripe_api_base=env.get("STRIPE_API_BASE", "http://127.0.0.1:8420"),
            stripe_api_key=env.get("STRIPE_API_KEY", "sk_test_local"),
            login_max_failures=int(env.get("LOGIN_MAX_FAILURES", "5")),
            login_lock_minutes=int(env.get("LOGIN_LOCK_MINUTES", "15")),
            purchase_limit_default=Decimal(env.get("PURCHASE_LIMIT_DEFAULT", "1000000.00")),
            review_median_ratio=Decimal(env.get("REVIEW_MEDIAN_RATIO", "0.20")),
            outbox_inline=_bool(env.get("OUTBOX_INLINE"), True),
            search_synonyms_file=env.get("SEARCH_SYNONYMS_FILE", ""),
            search_priority_slots=int(env.get("SEARCH_PRIORITY_SLOTS", "3")),
            elasticsearch_index=env.get("ELASTICSEARCH_INDEX", "offers"),
        )
        for key, value in overrides.items():
            setattr(cfg, key, value)
        return cfg

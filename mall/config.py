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
    # Orders: payment term after passed acceptance (付款期限, calendar days), working days a
    # supplier has to confirm an order before it is cancelled, window of the 化整为零 check.
    payment_term_days: int = 30
    order_confirm_working_days: int = 2
    split_window_days: int = 30
    # Payments (公务卡 via Stripe, 国库集中支付) and contracts.
    stripe_webhook_secret: str = "whsec_local_dev"
    stripe_payment_method: str = ""  # empty: a test card is created per authorisation
    stripe_timeout_seconds: float = 10.0
    card_auth_valid_days: int = 7  # Stripe card authorisations lapse after 7 days
    card_reauth_margin_days: int = 2  # re-authorise when a hold lapses within this many days
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
            payment_term_days=int(env.get("PAYMENT_TERM_DAYS", "30")),
            order_confirm_working_days=int(env.get("ORDER_CONFIRM_WORKING_DAYS", "2")),
            split_window_days=int(env.get("SPLIT_WINDOW_DAYS", "30")),
            stripe_webhook_secret=env.get("STRIPE_WEBHOOK_SECRET", "whsec_local_dev"),
            stripe_payment_method=env.get("STRIPE_PAYMENT_METHOD", ""),
            stripe_timeout_seconds=float(env.get("STRIPE_TIMEOUT_SECONDS", "10")),
            card_auth_valid_days=int(env.get("CARD_AUTH_VALID_DAYS", "7")),
            card_reauth_margin_days=int(env.get("CARD_REAUTH_MARGIN_DAYS", "2")),
            outbox_inline=_bool(env.get("OUTBOX_INLINE"), True),
            search_synonyms_file=env.get("SEARCH_SYNONYMS_FILE", ""),
            search_priority_slots=int(env.get("SEARCH_PRIORITY_SLOTS", "3")),
            elasticsearch_index=env.get("ELASTICSEARCH_INDEX", "offers"),
        )
        for key, value in overrides.items():
            setattr(cfg, key, value)
        return cfg

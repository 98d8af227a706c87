"""Users, roles and personal API tokens (账号与令牌), with the rules that govern them.

Passwords are hashed with argon2; API tokens are random and stored only as SHA-256 digests.
Repeated failed logins lock the account for a while (登录失败锁定).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import CheckConstraint, ForeignKey, String, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from mall import audit
from mall.clock import utcnow
from mall.db import Base
from mall.errors import Conflict, DomainError, NotFound, field_error
from mall.roles import Role

_hasher = PasswordHasher()
TOKEN_PREFIX = "zc_"
MIN_PASSWORD_LENGTH = 8


class User(Base):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("role in ('buyer','supplier','operator','agency','regulator','admin',"
                        "'finance')",
                        name="role_known"),
        CheckConstraint("role != 'buyer' OR budget_unit_id IS NOT NULL", name="buyer_has_unit"),
        CheckConstraint("role != 'supplier' OR supplier_id IS NOT NULL",
                        name="supplier_user_has_supplier"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(255))
    budget_unit_id: Mapped[int | None] = mapped_column(ForeignKey("budget_units.id"), index=True)
    supplier_id: Mapped[int | None] = mapped_column(ForeignKey("suppliers.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    # flask-login protocol
    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return str(self.id)

    def public(self) -> dict:
        return {"id": self.id, "username": self.username, "display_name": self.display_name,
                "role": self.role, "budget_unit_id": self.budget_unit_id,
                "supplier_id": self.supplier_id, "active": self.active}


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class LoginLocked(DomainError):
    status = 429
    code = "login_locked"


class LoginFailed(DomainError):
    status = 401
    code = "login_failed"


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise field_error("password", f"密码至少需要 {MIN_PASSWORD_LENGTH} 位")


def create_user(session: Session, actor, *, username: str, display_name: str, role: str,
                password: str, budget_unit_id: int | None = None,
                supplier_id: int | None = None) -> User:
    """Create an account. A buyer needs a budget unit, a supplier user a supplier."""
    role = Role(role)
    check_password_strength(password)
    if role is Role.BUYER and budget_unit_id is None:
        raise field_error("budget_unit_id", "采购人账号必须属于一个预算单位")
    if role is Role.SUPPLIER and supplier_id is None:
        raise field_error("supplier_id", "供应商账号必须属于一个供应商")
    if role is not Role.BUYER:
        budget_unit_id = None
    if role is not Role.SUPPLIER:
        supplier_id = None
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise Conflict(f"用户名“{username}”已被使用", code="username_taken",
                       errors={"username": ["用户名已被使用"]})
    user = User(username=username, display_name=display_name, role=role.value,
                password_hash=hash_password(password), budget_unit_id=budget_unit_id,
                supplier_id=supplier_id)
    try:
        with session.begin_nested():
            session.add(user)
            session.flush()
    except IntegrityError:
        field = "budget_unit_id" if budget_unit_id is not None else "supplier_id"
        raise field_error(field, "所属单位或供应商不存在") from None
    audit.record(session, actor, "user.create", "user", user.id, after=user.public())
    return user


def authenticate(session: Session, username: str, password: str, *, max_failures: int,
                 lock_minutes: int, now: datetime | None = None) -> User:
    """Check a username and password, counting failures and locking after too many.

    Raises LoginLocked (429) while locked and LoginFailed (401) on a wrong password. The
    caller must commit even on failure so the counter is kept.
    """
    now = now or utcnow()
    user = session.scalar(select(User).where(User.username == username).with_for_update())
    if user is None or not user.active:
        # Hash anyway so the response time does not reveal which usernames exist.
        _hasher.hash(password)
        raise LoginFailed("用户名或密码错误")
    if user.locked_until is not None and user.locked_until > now:
        minutes = max(1, int((user.locked_until - now).total_seconds() // 60) + 1)
        raise LoginLocked(f"登录失败次数过多，账号已临时锁定，请 {minutes} 分钟后再试")
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        user.failed_logins += 1
        locked = user.failed_logins >= max_failures
        if locked:
            user.locked_until = now + timedelta(minutes=lock_minutes)
            user.failed_logins = 0
        audit.record(session, user, "user.login_failed", "user", user.id,
                     after={"locked": locked})
        if locked:
            raise LoginLocked(f"登录失败次数过多，账号已临时锁定 {lock_minutes} 分钟") from None
        raise LoginFailed("用户名或密码错误") from None
    if user.failed_logins or user.locked_until:
        user.failed_logins = 0
        user.locked_until = None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(session: Session, user: User, name: str) -> tuple[ApiToken, str]:
    """Create a personal API token; the plain token is returned once and never stored."""
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, name=name, token_hash=_digest(plain), prefix=plain[:10])
    session.add(token)
    session.flush()
    audit.record(session, user, "token.issue", "api_token", token.id,
                 after={"name": name, "prefix": token.prefix})
    return token, plain


def user_for_token(session: Session, plain: str, now: datetime | None = None) -> User | None:
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(plain)))
    if token is None or token.revoked_at is not None:
        return None
    user = session.get(User, token.user_id)
    if user is None or not user.active:
        return None
    now = now or utcnow()
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=5):
        token.last_used_at = now  # coarse, so that reads do not write on every call
    return user


def revoke_token(session: Session, user: User, token_id: int) -> None:
    token = session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id:
        raise NotFound("令牌不存在", code="token_not_found")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        audit.record(session, user, "token.revoke", "api_token", token.id)

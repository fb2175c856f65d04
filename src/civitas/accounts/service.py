"""Staff accounts, sessions, bearer tokens and API keys. Plain functions, the city first."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, bindparam, delete, select
from sqlalchemy.orm import Session

from civitas.accounts.models import ApiKey, AuthToken, LoginFailure, User
from civitas.accounts.schemas import ApiKeyCreate, UserCreate, UserUpdate
from civitas.cities.models import City
from civitas.cities.service import enter_city, get_department
from civitas.core import audit
from civitas.core.db import utcnow
from civitas.core.errors import Conflict, NotFound, TooManyAttempts, Unauthenticated
from civitas.core.i18n import N_, NP_
from civitas.core.permissions import Role, permissions_for
from civitas.core.security import (
    hash_password,
    needs_rehash,
    new_token,
    token_digest,
    verify_password,
)
from civitas.core.tenancy import bind_all_cities

SESSION = "session"
BEARER = "bearer"
API_KEY_PREFIX = "cvk"


@dataclass(frozen=True)
class Principal:
    """Who is acting, in which city, with which permissions."""

    city_id: int
    user_id: int | None
    label: str
    permissions: frozenset[str]
    roles: tuple[str, ...] = ()

    def can(self, permission: str) -> bool:
        return permission in self.permissions


def principal_for(user: User) -> Principal:
    return Principal(
        city_id=user.tenant_id,
        user_id=user.id,
        label=f"user:{user.username}",
        permissions=permissions_for(user.roles),
        roles=tuple(user.roles),
    )


def create_user(db: Session, city: City, *, data: UserCreate, actor: str) -> User:
    enter_city(db, city)
    if db.scalar(select(User.id).where(User.username == data.username)) is not None:
        raise Conflict("A user named '{username}' exists already.", username=data.username)
    department_id = None
    if data.department:
        department_id = get_department(db, city, code=data.department).id
    user = User(
        username=data.username,
        full_name=data.full_name,
        email=data.email,
        password_hash=hash_password(data.password),
        roles=[str(r) for r in data.roles],
        language=data.language,
        department_id=department_id,
    )
    db.add(user)
    db.flush()
    audit.record(
        db,
        actor=actor,
        action="user.created",
        entity_type="user",
        entity_id=data.username,
        changes={"roles": user.roles, "department": data.department},
    )
    return user


def update_user(db: Session, city: City, *, username: str, data: UserUpdate, actor: str) -> User:
    """Change a user; a new password or disabling the account ends all their sign-ins."""
    user = get_user(db, city, username=username)
    asked = data.model_dump(exclude_unset=True, mode="json")
    _keep_an_administrator(db, user, asked)
    changes: dict[str, object] = {}
    if "password" in asked:
        user.password_hash = hash_password(asked.pop("password"))
        changes["password"] = "changed"  # noqa: S105 - the audit notes the fact, never the value
    for key, value in asked.items():
        if getattr(user, key) != value:
            setattr(user, key, value)
            changes[key] = value
    if "password" in changes or changes.get("is_active") is False:
        now = utcnow()
        for token in db.scalars(select(AuthToken).where(AuthToken.user_id == user.id)):
            token.revoked_at = token.revoked_at or now
    if changes:
        audit.record(
            db,
            actor=actor,
            action="user.updated",
            entity_type="user",
            entity_id=username,
            changes=changes,
        )
    return user


def _is_administrator(roles: object, active: object) -> bool:
    return bool(active) and isinstance(roles, list) and Role.ADMINISTRATOR.value in roles


def _keep_an_administrator(db: Session, user: User, asked: dict[str, object]) -> None:
    """Refuse a change that would leave the city with no active administrator."""
    if not _is_administrator(user.roles, user.is_active):
        return
    if _is_administrator(asked.get("roles", user.roles), asked.get("is_active", user.is_active)):
        return
    others = db.scalars(select(User).where(User.id != user.id, User.is_active.is_(True)))
    if not any(_is_administrator(u.roles, u.is_active) for u in others):
        raise Conflict(
            "'{username}' is the city's only active administrator: make another user an "
            "administrator first.",
            username=user.username,
        )


def list_users(db: Session, city: City) -> list[User]:
    enter_city(db, city)
    return list(db.scalars(select(User).order_by(User.username)))


def get_user(db: Session, city: City, *, username: str) -> User:
    enter_city(db, city)
    user = db.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound("No user '{username}' in this city.", username=username)
    return user


MAX_FAILURES = 5  # for one name from one address
MAX_ADDRESS_FAILURES = 20  # from one address, whatever the names
MAX_NAME_FAILURES = 50  # for one name from every address, but the user's usual one
FAILURE_WINDOW = timedelta(minutes=15)


TOO_MANY = NP_(
    "Too many failed sign-ins for this user name; try again in {count} minute.",
    "Too many failed sign-ins for this user name; try again in {count} minutes.",
)
TOO_MANY_HERE = NP_(
    "Too many failed sign-ins from this address; try again in {count} minute.",
    "Too many failed sign-ins from this address; try again in {count} minutes.",
)


def _refuse_after(
    db: Session, condition: ColumnElement[bool], limit: int, message: str, now: datetime
) -> None:
    recent = list(
        db.scalars(
            select(LoginFailure.at)
            .where(condition, LoginFailure.at >= now - FAILURE_WINDOW)
            .order_by(LoginFailure.at.desc())
            .limit(limit)
        )
    )
    if len(recent) >= limit:
        wait = recent[-1] + FAILURE_WINDOW - now
        raise TooManyAttempts(message, count=max(1, math.ceil(wait.total_seconds() / 60)))


def throttle(
    db: Session,
    key: str,
    *,
    address: str | None = None,
    usual: str | None = None,
    message: str = TOO_MANY,
) -> None:
    """Refuse a sign-in for ``key`` (a user name, or ``resident:<e-mail>``), known names and
    unknown alike, within ``FAILURE_WINDOW``:

    * after ``MAX_FAILURES`` failures for the name from this address: five wrong passwords
      from elsewhere cannot lock the owner out;
    * after ``MAX_ADDRESS_FAILURES`` failures from this address, whatever the names: one
      password tried across many names;
    * after ``MAX_NAME_FAILURES`` failures for the name from anywhere (many addresses),
      except from ``usual``, the address of the user's last sign-in.
    """
    now = utcnow()
    if address is None:  # no client address known (a test client, a local tool)
        _refuse_after(db, LoginFailure.username == key, MAX_FAILURES, message, now)
        return
    pair = and_(LoginFailure.username == key, LoginFailure.address == address)
    _refuse_after(db, pair, MAX_FAILURES, message, now)
    _refuse_after(db, LoginFailure.address == address, MAX_ADDRESS_FAILURES, TOO_MANY_HERE, now)
    if address != usual:
        _refuse_after(db, LoginFailure.username == key, MAX_NAME_FAILURES, message, now)


def record_failure(db: Session, key: str, address: str | None = None) -> None:
    """Keep a failed sign-in. It is committed at once, though the caller's request fails:
    sign-in is the first thing its transaction does."""
    db.add(LoginFailure(username=key, address=address, at=utcnow()))
    db.commit()


def forget_failures(db: Session, key: str, address: str | None = None) -> None:
    """A sign-in succeeded: forget the name's failures from this address."""
    condition = LoginFailure.username == key
    if address is not None:
        condition = and_(condition, LoginFailure.address == address)
    db.execute(delete(LoginFailure).where(condition).execution_options(synchronize_session=False))


def authenticate(
    db: Session, city: City, *, username: str, password: str, address: str | None = None
) -> User:
    """The active user with these credentials in this city, or Unauthenticated; throttled
    by name and client address (see :func:`throttle`)."""
    enter_city(db, city)
    key = username.strip().lower()[:80]
    user = db.scalar(select(User).where(User.username == key))
    throttle(db, key, address=address, usual=user.last_login_address if user else None)
    if not verify_password(user.password_hash if user else None, password):
        record_failure(db, key, address)
        raise Unauthenticated("Wrong user name or password.")
    assert user is not None
    forget_failures(db, key, address)
    if not user.is_active:
        raise Unauthenticated("This account is disabled; ask your city's administrator.")
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    if address is not None:
        user.last_login_address = address
    return user


def issue_token(
    db: Session, city: City, *, user: User, kind: str, lifetime: timedelta, name: str | None = None
) -> tuple[str, AuthToken]:
    enter_city(db, city)
    raw = new_token("cvs" if kind == SESSION else "cvb")
    token = AuthToken(
        user_id=user.id,
        kind=kind,
        token_hash=token_digest(raw),
        name=name,
        expires_at=utcnow() + lifetime,
    )
    db.add(token)
    db.flush()
    return raw, token


# built once: every staff request looks its token up (the tenancy hook adds the city)
_TOKEN_BY_HASH = select(AuthToken).where(
    AuthToken.token_hash == bindparam("token_hash"), AuthToken.kind == bindparam("kind")
)


def resolve_token(db: Session, city: City, *, raw: str, kind: str) -> User:
    """The user behind a live token of this city; anything else is Unauthenticated."""
    enter_city(db, city)
    token = db.scalar(_TOKEN_BY_HASH, {"token_hash": token_digest(raw), "kind": kind})
    if token is None or token.revoked_at is not None or token.expires_at <= utcnow():
        raise Unauthenticated("Your sign-in is not valid (expired or revoked); sign in again.")
    if not token.user.is_active:
        raise Unauthenticated("This account is disabled; ask your city's administrator.")
    return token.user


def revoke_token(db: Session, city: City, *, raw: str) -> None:
    enter_city(db, city)
    token = db.scalar(select(AuthToken).where(AuthToken.token_hash == token_digest(raw)))
    if token is not None and token.revoked_at is None:
        token.revoked_at = utcnow()


def purge_expired_tokens(db: Session, *, now: datetime | None = None) -> int:
    """Delete expired or long-revoked tokens, and spent sign-in failures, of every city (a
    system job)."""
    bind_all_cities(db)
    cutoff = now or utcnow()
    result = db.execute(
        delete(AuthToken).where(
            (AuthToken.expires_at < cutoff) | (AuthToken.revoked_at < cutoff - timedelta(days=7))
        )
    )
    # failed sign-ins older than the throttling window count for nothing any more
    db.execute(delete(LoginFailure).where(LoginFailure.at < cutoff - FAILURE_WINDOW))
    return int(getattr(result, "rowcount", 0) or 0)


def create_api_key(
    db: Session, city: City, *, data: ApiKeyCreate, actor: str, raw_key: str | None = None
) -> tuple[str, ApiKey]:
    """A new Open311 API key; the raw key is returned once and never stored."""
    enter_city(db, city)
    raw = raw_key or new_token(API_KEY_PREFIX)
    key = ApiKey(
        name=data.name,
        key_prefix=raw[:12],
        key_hash=token_digest(raw),
        contact_email=data.contact_email,
        created_by=actor,
    )
    db.add(key)
    db.flush()
    audit.record(
        db,
        actor=actor,
        action="apikey.created",
        entity_type="api_key",
        entity_id=key.id,
        changes={"name": data.name},
    )
    return raw, key


# built once: every Open311 POST looks its key up (the tenancy hook adds the city)
_KEY_BY_HASH = select(ApiKey).where(ApiKey.key_hash == bindparam("key_hash"))


def find_api_key(db: Session, city: City, *, raw: str) -> ApiKey | None:
    enter_city(db, city)
    return db.scalar(_KEY_BY_HASH, {"key_hash": token_digest(raw)})


def verify_api_key(db: Session, city: City, *, raw: str | None) -> ApiKey:
    key = find_api_key(db, city, raw=raw) if raw else None
    if key is None or key.revoked_at is not None:
        raise Unauthenticated("The api_key is missing, unknown in this city or revoked.")
    return key


def list_api_keys(db: Session, city: City) -> list[ApiKey]:
    enter_city(db, city)
    return list(db.scalars(select(ApiKey).order_by(ApiKey.id)))


def revoke_api_key(db: Session, city: City, *, key_id: int, actor: str) -> ApiKey:
    enter_city(db, city)
    key = db.get(ApiKey, key_id)
    if key is None:
        raise NotFound("No API key {key_id} in this city.", key_id=key_id)
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        audit.record(
            db, actor=actor, action="apikey.revoked", entity_type="api_key", entity_id=key.id
        )
    return key


def actor_names(db: Session, city: City, actors: set[str], lang: str) -> dict[str, str]:
    """Who did it, as a reader says it: a member of staff by name ("Ana Quispe"), an
    Open311 app by its key's name, the resident, or Civitas itself; anything else as
    recorded."""
    from civitas.core.i18n import translate

    enter_city(db, city)
    usernames = {a.split(":", 1)[1] for a in actors if a.startswith("user:")}
    # .all(): a Result has keys(), so dict() would take it for a mapping
    people: dict[str, str] = dict(
        db.execute(select(User.username, User.full_name).where(User.username.in_(usernames))).all()
    )
    key_ids = {
        int(a.split(":", 1)[1].split(" ", 1)[0])
        for a in actors
        if a.startswith("api_key:") and a.split(":", 1)[1].split(" ", 1)[0].isdigit()
    }
    keys: dict[int, str] = dict(
        db.execute(select(ApiKey.id, ApiKey.name).where(ApiKey.id.in_(key_ids))).all()
    )
    named: dict[str, str] = {}
    for actor in actors:
        kind, _, rest = actor.partition(":")
        if kind == "user" and rest in people:
            named[actor] = people[rest]
        elif kind == "api_key" and rest.split(" ", 1)[0].isdigit():
            app = keys.get(int(rest.split(" ", 1)[0]), rest)
            named[actor] = translate(lang, N_("App {name}"), name=app)
        elif kind == "system":
            named[actor] = translate(lang, N_("Civitas (automatic)"))
        elif actor == "resident":
            named[actor] = translate(lang, N_("The resident"))
        else:
            named[actor] = actor
    return named

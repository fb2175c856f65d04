"""Password hashing (argon2id) and opaque tokens (random, stored only as SHA-256)."""

from __future__ import annotations

import functools
import hashlib
import hmac
import os
import secrets

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError

MIN_PASSWORD_LENGTH = 10


@functools.cache
def _hasher() -> PasswordHasher:
    """argon2id with its recommended cost (about 0.1 s of a core a hash). The test suite
    (CIVITAS_ENV=test, nowhere else) uses the same algorithm at its cheapest cost: it signs
    in hundreds of times, and the cost of a hash is not what it tests."""
    if os.environ.get("CIVITAS_ENV") == "test":
        return PasswordHasher.from_parameters(profiles.CHEAPEST)
    return PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    """Verifying against this keeps the time of "unknown user" equal to "wrong password"."""
    return _hasher().hash("civitas-timing-equaliser")


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher().verify(password_hash or _dummy_hash(), password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher().check_needs_rehash(password_hash)


def new_token(prefix: str) -> str:
    """A 256-bit random token with a readable prefix, e.g. ``cvs_…`` for a staff token."""
    return f"{prefix}_{secrets.token_urlsafe(32)}"


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def sign(secret: str, message: str) -> str:
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def signature_ok(secret: str, message: str, signature: str) -> bool:
    return hmac.compare_digest(sign(secret, message), signature)


def survey_token(city_id: int, subject_type: str, subject_id: int) -> str:
    """The token of the survey link for one experience (a request, a delivered benefit).

    An HMAC of the subject under the server's secret: nobody can make one without the
    secret, and the server can show the same link again later (on the request's status
    page, in a benefit's notice) without keeping the raw token; only its SHA-256 is stored."""
    from civitas.core.config import get_settings

    message = f"survey:{city_id}:{subject_type}:{subject_id}"
    return "cvq_" + sign(get_settings().secret_key, message)

"""Passwords (Argon2 via pwdlib) and access tokens (JWT, HS256, with expiry)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

_hasher = PasswordHash((Argon2Hasher(),))
# Verifying against a dummy hash when the user does not exist keeps response times
# the same whichever part of the credentials was wrong.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password: str, password_hash: str | None) -> bool:
    if not password_hash:
        _hasher.verify(password, _DUMMY_HASH)
        return False
    try:
        return _hasher.verify(password, password_hash)
    except Exception:  # a malformed stored hash is a failed sign-in, not a crash
        return False


def create_token(
    subject: str, user_id: int, secret: str, minutes: float, algorithm: str = "HS256"
) -> str:
    now = datetime.now(UTC)
    claims = {"sub": subject, "uid": user_id, "iat": now, "exp": now + timedelta(minutes=minutes)}
    return jwt.encode(claims, secret, algorithm=algorithm)


def decode_token(token: str, secret: str, algorithm: str = "HS256") -> dict[str, Any] | None:
    """The token's claims, or None if it is expired, tampered with or malformed."""
    try:
        claims = jwt.decode(
            token, secret, algorithms=[algorithm], options={"require": ["exp", "sub"]}
        )
    except jwt.PyJWTError:
        return None
    return claims if isinstance(claims.get("uid"), int) else None

"""Accounts: sign up, and exchange a password for a JWT."""

import asyncio
import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request, Response, status
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel, Field, model_validator

from taskagent.store import UserExists
from ui.api.deps import Settings, Store
from ui.api.limits import limited
from ui.api.security import create_token, hash_password, verify_password

router = APIRouter(tags=["accounts"])

LOGIN_NAME = r"^[A-Za-z0-9_.@-]+$"


class SignupRequest(BaseModel):
    """``{"username", "password"[, "email"]}``, or ``{"email", "password"}``: then the email
    is the login name (sign in with it as ``username``)."""

    username: str | None = Field(
        None, min_length=3, max_length=64, pattern=LOGIN_NAME, description="Defaults to email."
    )
    password: str = Field(min_length=8, max_length=256)
    email: str | None = Field(None, max_length=254, pattern=r"^[^@\s]+@[^@\s]+$")

    @model_validator(mode="after")
    def _has_a_login_name(self) -> "SignupRequest":
        if self.username is None:
            if self.email is None:
                raise ValueError("username or email is required")
            if len(self.email) > 64 or not re.fullmatch(LOGIN_NAME, self.email):
                raise ValueError(
                    "this email cannot be a login name (at most 64 letters, digits or _.@-); "
                    "also send a username"
                )
        return self

    @property
    def login(self) -> str:
        return self.username or self.email or ""


class UserOut(BaseModel):
    id: int
    username: str
    email: str | None = None


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int


@router.post("/users/signup", status_code=201, response_model=UserOut)
@limited("token")
async def signup(
    request: Request, response: Response, body: SignupRequest, store: Store
) -> dict[str, Any]:
    """Create an account. The password is stored as an Argon2 hash and never returned.

    Send a ``username``, or only an ``email``, which then is the login name.
    """
    password_hash = await asyncio.to_thread(hash_password, body.password)
    try:
        return await asyncio.to_thread(store.create_user, body.login, password_hash, body.email)
    except UserExists:
        raise HTTPException(status.HTTP_409_CONFLICT, "Username already taken") from None


@router.post("/token", response_model=TokenOut)
@limited("token")
async def token(
    request: Request,
    response: Response,
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    store: Store,
    settings: Settings,
) -> dict[str, Any]:
    """Exchange username (or the email you signed up with) and password for a JWT.

    After too many failed attempts on one account it answers 429 for a while, even to
    the right password (per account, whichever address the attempts come from).
    """
    login_failures = request.app.state.login_failures
    if not login_failures.allows(form.username):
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            "Too many failed sign-in attempts for this account; try again later.",
            headers={"Retry-After": str(login_failures.retry_after(form.username))},
        )
    account = await asyncio.to_thread(store.find_user, form.username)
    stored_hash = account["password_hash"] if account else None
    ok = await asyncio.to_thread(verify_password, form.password, stored_hash)
    if not account or not ok:
        login_failures.hit(form.username)
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "Incorrect username or password",
            headers={"WWW-Authenticate": "Bearer"},
        )
    login_failures.clear(form.username)
    key, minutes = settings.secret_key.get_secret_value(), settings.access_token_expire_minutes
    jwt_token = create_token(account["username"], account["id"], key, minutes, settings.algorithm)
    return {"access_token": jwt_token, "token_type": "bearer", "expires_in": int(minutes * 60)}

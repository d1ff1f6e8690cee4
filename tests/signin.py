"""Signing in through the site's real form, second factor included."""

from __future__ import annotations

import time

from allauth.mfa import app_settings
from allauth.mfa.totp.internal.auth import (
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
)
from django.test import Client

from tests.factories import PASSWORD

LOGIN = "/accounts/login/"
CODE = "/accounts/2fa/authenticate/"


def current_code(secret: str, *, steps_ago: int = 0, at: float | None = None) -> str:
    """What the authenticator app shows now (or at `at`), or showed `steps_ago` steps before."""
    step = int(time.time() if at is None else at) // app_settings.TOTP_PERIOD
    return format_hotp_value(hotp_value(secret, step - steps_ago))


def give_totp(user) -> str:
    """An authenticator app for `user`; returns its secret. A fresh secret each time, so its
    code is not one a previous test already used (allauth refuses a code twice)."""
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return secret


def sign_in_with_totp(client: Client, user, *, secret: str | None = None) -> Client:
    """Password, then the authenticator's code, as a person would; gives `user` an
    authenticator first unless its `secret` is passed."""
    secret = secret or give_totp(user)
    password_step = client.post(LOGIN, {"login": user.email, "password": PASSWORD})
    assert password_step["Location"] == CODE, password_step
    code_step = client.post(CODE, {"code": current_code(secret)})
    assert code_step.status_code == 302, code_step
    assert client.session["_auth_user_id"] == str(user.pk)
    return client

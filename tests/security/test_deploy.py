"""Production settings pass Django's deployment checks and switch on the transport protections."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def production_env(**extra: str) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "LIKENESS_", "STRIPE_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DJANGO_PRODUCTION="1",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(64),
        DJANGO_ALLOWED_HOSTS="likeness.example",
        DJANGO_DEBUG="0",
        STRIPE_SECRET_KEY=f"sk_live_{secrets.token_hex(24)}",
        STRIPE_WEBHOOK_SECRET=f"whsec_{secrets.token_hex(24)}",
    )
    env.update(extra)
    return env


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_under_production_settings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=production_env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_production_turns_on_secure_cookies_hsts_and_https():
    code = (
        "import json; from django.conf import settings as s; print(json.dumps({k: getattr(s, k) "
        "for k in ['DEBUG', 'SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', 'SECURE_SSL_REDIRECT',"
        " 'SECURE_HSTS_SECONDS', 'SECURE_HSTS_INCLUDE_SUBDOMAINS', 'SECURE_HSTS_PRELOAD',"
        " 'SESSION_COOKIE_HTTPONLY', 'X_FRAME_OPTIONS', 'SECURE_CONTENT_TYPE_NOSNIFF']}))"
    )
    result = manage("shell", "-c", code, env=production_env())
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == {
        "DEBUG": False,
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SECURE_SSL_REDIRECT": True,
        "SECURE_HSTS_SECONDS": 31536000,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "SECURE_HSTS_PRELOAD": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "X_FRAME_OPTIONS": "DENY",
        "SECURE_CONTENT_TYPE_NOSNIFF": True,
    }


def test_production_refuses_to_start_without_a_secret_key():
    env = production_env()
    del env["DJANGO_SECRET_KEY"]
    result = manage("check", env=env)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set in production" in result.stderr


@pytest.mark.parametrize("name", ["STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET"])
def test_production_refuses_to_start_without_stripe_s_secrets(name):
    # given production settings with one of Stripe's secrets unset (or blank)
    for value in (None, " "):
        env = production_env()
        if value is None:
            del env[name]
        else:
            env[name] = value

        # when anything starts
        result = manage("check", env=env)

        # then it refuses, naming the secret
        assert result.returncode != 0
        assert f"{name} must be set to the account's own secret in production" in result.stderr


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("STRIPE_SECRET_KEY", "sk_test_likeness_sandbox"),
        ("STRIPE_SECRET_KEY", "sk_test_likeness_tests"),
        ("STRIPE_WEBHOOK_SECRET", "whsec_likeness_sandbox"),
        ("STRIPE_WEBHOOK_SECRET", "whsec_likeness_tests"),
    ],
)
def test_production_refuses_the_sandbox_s_published_secrets(name, value):
    # given production settings with a secret published in this repository
    env = production_env(**{name: value})

    # when anything starts
    result = manage("check", env=env)

    # then it refuses: with that secret anyone could sign a Stripe event
    assert result.returncode != 0
    assert f"{name} must be set to the account's own secret in production" in result.stderr


def test_production_refuses_an_api_base_other_than_stripe_s():
    # given production settings pointing the Stripe library at the local sandbox
    env = production_env(STRIPE_API_BASE="http://127.0.0.1:12111")

    # when anything starts
    result = manage("check", env=env)

    # then it refuses
    assert result.returncode != 0
    assert "STRIPE_API_BASE must be Stripe's own (unset) in production" in result.stderr

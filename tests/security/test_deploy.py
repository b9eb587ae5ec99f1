"""Production settings: `manage.py check --deploy` is clean, DEBUG stays off whatever the
environment says, and errors show no stack trace."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.test import Client

from tests.utils import PASSWORD, make_user

ROOT = Path(__file__).resolve().parents[2]


def production_env(**overrides: str) -> dict:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "PII_", "SANDBOX_", "RATE_LIMIT"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        DJANGO_SECRET_KEY="prod-" + "x7Kq9" * 12,
        PII_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
        PII_BLIND_INDEX_KEY="blind-index-" + "k3y" * 12,
        DATABASE_URL=os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/megacity"),
        REDIS_URL=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
    )
    env.update(overrides)
    return env


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=production_env(**env),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_with_production_settings():
    result = manage("check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


@pytest.mark.parametrize(
    ("env", "problem"),
    [
        ({"DJANGO_SECURE_HSTS_SECONDS": "0"}, "security.W004"),
        ({"PII_ENCRYPTION_KEYS": "bWVnYWNpdHktZGV2ZWxvcG1lbnQtb25seS1rZXktMzI="}, "core.E001"),
        ({"RATE_LIMITS_ENABLED": "false"}, "core.W001"),
    ],
)
def test_check_deploy_catches_a_weakened_setting(env, problem):
    result = manage("check", "--deploy", "--fail-level", "WARNING", **env)
    assert result.returncode != 0 and problem in result.stdout + result.stderr


def test_production_ignores_a_debug_switch_in_the_environment():
    code = "import django; django.setup(); from django.conf import settings; print(settings.DEBUG)"
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=production_env(DJANGO_DEBUG="true"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout.strip() == "False", result.stderr


@pytest.mark.django_db
def test_an_unexpected_error_shows_no_stack_trace(tenants, settings):
    assert settings.DEBUG is False
    t = tenants["store"]
    with t.context():
        make_user("root", is_superuser=True, is_staff=True)
    client = Client(HTTP_HOST=t.domain, raise_request_exception=False)
    client.post("/accounts/login/", {"login": "root", "password": PASSWORD})
    for language, words in (("ko", "문제가 발생했습니다"), ("en", "Something went wrong")):
        response = client.get("/_ops/sentry-check/", HTTP_ACCEPT_LANGUAGE=language)
        body = response.content.decode()
        assert response.status_code == 500
        assert words in body, body[:500]
        assert "Traceback" not in body and "SentryCheckError" not in body
        # what the user can quote to support: the id the logs and Sentry carry
        assert response["X-Request-ID"] in body

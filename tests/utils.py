"""Helpers shared by the tests (fixtures live in conftest.py)."""

from __future__ import annotations

from dataclasses import dataclass

from django.test import Client
from django_tenants.utils import schema_context

PASSWORD = "Pw-1234-abcd!"


@dataclass
class T:
    """A tenant as tests use it."""

    tenant: object
    domain: str

    @property
    def schema(self) -> str:
        return self.tenant.schema_name

    @property
    def type(self) -> str:
        return self.tenant.type

    def client(self, **kwargs) -> Client:
        return Client(HTTP_HOST=self.domain, **kwargs)

    def context(self):
        return schema_context(self.schema)


def make_user(username: str = "staff", password: str = PASSWORD, **fields):
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user(username=username, password=password, **fields)
    return user


def enable_totp(user) -> str:
    """Give the user a TOTP authenticator (as enrolment would) and return its secret."""
    import pyotp
    from allauth.mfa.totp.internal.auth import TOTP

    secret = pyotp.random_base32()
    TOTP.activate(user, secret)
    return secret


def totp_code(secret: str) -> str:
    """The current code for the secret, computed by an independent RFC 6238 implementation."""
    import pyotp

    return pyotp.TOTP(secret).now()


def browser_login(client: Client, username: str, password: str = PASSWORD, totp_secret: str | None = None):
    """Sign in through allauth's pages (with its TOTP step when the user has one);
    returns the last response."""
    response = client.post("/accounts/login/", {"login": username, "password": password})
    assert response.status_code == 302, response.content.decode()[:500]
    if totp_secret:
        assert response.url.startswith("/accounts/2fa/authenticate/"), response.url
        response = client.post("/accounts/2fa/authenticate/", {"code": totp_code(totp_secret)})
        assert response.status_code == 302, response.content.decode()[:500]
    return response


def grant(user, *roles: str) -> None:
    from apps.accounts import services

    for role in roles:
        services.grant_role(user, role)


def in_threads(work, count: int, timeout: float = 120) -> list[BaseException]:
    """Run work(0) … work(count - 1) at once, each on its own thread with its own database
    connection (closed after), and return what they raised; a thread still running after
    `timeout` is reported as an error too."""
    import threading

    from django.db import connection

    errors: list[BaseException] = []

    def run(n: int) -> None:
        try:
            work(n)
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    errors.extend(TimeoutError(f"{thread.name} still running") for thread in threads if thread.is_alive())
    return errors

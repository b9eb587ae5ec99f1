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

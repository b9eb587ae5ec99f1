"""The session's user and its role codes, read in one raw query (apps/accounts/backends.py):
the same user, roles and refusals as the ORM gives, in the current tenant's schema only."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.accounts.backends import RoleModelBackend
from apps.accounts.permissions import role_codes
from tests.utils import grant, make_user

pytestmark = pytest.mark.django_db


def test_the_user_comes_with_its_role_codes_in_one_query(tenants):
    with tenants["academy"].context():
        held = make_user("session_roles")
        grant(held, "staff", "coach")
        plain = make_user("session_plain")
        with CaptureQueriesContext(connection) as captured:
            user = RoleModelBackend().get_user(str(held.pk))  # (the session keeps the id as text)
            bare = RoleModelBackend().get_user(plain.pk)
        assert len([q for q in captured.captured_queries if not q["sql"].startswith("SET ")]) == 2
        assert (user.pk, user.username, user.get_username()) == (held.pk, "session_roles", "session_roles")
        assert [
            f.attname
            for f in get_user_model()._meta.concrete_fields
            if getattr(user, f.attname) != getattr(get_user_model().objects.get(pk=held.pk), f.attname)
        ] == []
        with CaptureQueriesContext(connection) as captured:
            assert role_codes(user) == ["coach", "staff"] and role_codes(bare) == []
        assert len(captured) == 0
        assert not hasattr(user, "_mc_role_codes")


def test_no_user_for_an_unknown_or_inactive_id(tenants):
    with tenants["academy"].context():
        gone = make_user("session_inactive", is_active=False)
        assert RoleModelBackend().get_user(gone.pk) is None
        assert RoleModelBackend().get_user(10**12) is None


def test_an_id_means_the_current_tenants_user_only(tenants):
    with tenants["academy"].context():
        mine = make_user("session_tenant_a")
        grant(mine, "staff")
    with tenants["academy_b"].context():
        other = RoleModelBackend().get_user(mine.pk)
        assert other is None or (other.username != "session_tenant_a" and "staff" not in role_codes(other))

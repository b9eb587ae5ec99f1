import itertools

import pytest

from tests.utils import enable_totp, grant, make_user

_names = itertools.count()


@pytest.fixture
def member(tenants):
    """member("academy", "coach") -> (user, client signed in on that tenant's host).

    Users whose roles require MFA get a TOTP authenticator first, as enrolment would."""

    def make(key: str, *roles: str, username: str | None = None, mfa: bool | None = None, **fields):
        t = tenants[key]
        with t.context():
            user = make_user(username or f"{'_'.join(roles) or 'nobody'}_{next(_names)}", **fields)
            grant(user, *roles)
            user.refresh_from_db()
            from apps.accounts.permissions import mfa_required

            if mfa if mfa is not None else mfa_required(user):
                enable_totp(user)
            client = t.client()
            client.force_login(user)
        return user, client

    return make

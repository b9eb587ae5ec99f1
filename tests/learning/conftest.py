from __future__ import annotations

import itertools
from datetime import date

import pytest

_n = itertools.count()


@pytest.fixture
def zone(tenants, db):
    """The session zone tenant, its schema current for the test."""
    t = tenants["zone"]
    with t.context():
        yield t


@pytest.fixture
def people(member):
    """Factories for the zone's people, each returning (profile or user, signed-in client)."""
    from apps.learning.services import people as svc

    class People:
        def org(self, name: str = "한빛고"):
            return svc.create_organisation(name=name, code=f"org-{next(_n)}")

        def student(self, org=None, *, key: str = "zone", born: date | None = date(2008, 3, 1), **fields):
            n = next(_n)
            user, client = member(key, username=f"stu{n}", email=fields.pop("email", f"stu{n}@example.com"))
            from apps.learning.models import Student

            phone = svc.clean_phone(fields.pop("phone", None))
            profile = Student.objects.create(
                user=user,
                name=fields.pop("name", f"학생{n}"),
                organisation=org,
                birth_date=born,
                phone=phone,
                phone_index=svc.phone_index(phone),
                nickname=fields.pop("nickname", ""),
            )
            svc_grant(user, "student")
            return profile, client

        def teacher(self, org, *, key: str = "zone"):
            user, client = member(key, "teacher")
            svc.add_staff(org, user, "teacher")
            return user, client

        def org_admin(self, org, *, key: str = "zone"):
            user, client = member(key, "org_admin")
            svc.add_staff(org, user, "admin")
            return user, client

        def parent(self, *, key: str = "zone"):
            return member(key, "parent")

    def svc_grant(user, role):
        from apps.accounts.services import grant_role

        grant_role(user, role)

    return People()

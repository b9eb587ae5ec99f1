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


@pytest.fixture
def bank():
    """bank(n, areas=...): n live 3PL items (a ~ 1.2, b spread over [-2.5, 2.5], c 0.2)."""
    from apps.learning.services import items as svc

    def make(n: int = 40, areas=("대수", "기하"), status: str = "live", prefix: str | None = None):
        prefix = prefix or f"q{next(_n)}"
        made = []
        for i in range(n):
            made.append(
                svc.create_item(
                    code=f"{prefix}-{i}",
                    kind="choice",
                    stem=f"문제 {i}: 2 + {i} = ?",
                    choices=[str(i + 1), str(i + 2), str(i + 3), str(i + 4)],
                    key="2",
                    area=areas[i % len(areas)],
                    status=status,
                    a=1.0 + 0.4 * ((i * 7) % 5) / 4,
                    b=-2.5 + 5.0 * i / max(n - 1, 1),
                    c=0.2,
                )
            )
        return made

    return make

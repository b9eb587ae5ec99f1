"""A read compiled once (apps.core.hotread.JoinedRead) gives what the ORM gives: every field
of the row and of its related rows, converted as the ORM converts them (JSON, encrypted
fields), the related rows attached, in one statement."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from apps.core.hotread import JoinedRead
from apps.learning.models import Attempt
from tests.learning.conftest import bank, people, zone  # noqa: F401  (fixtures)
from tests.learning.test_attempts import cat_exam, post  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db

READ = JoinedRead(Attempt, related=("exam", "student"), keys=("pk", "student__user"), lock=True)


def _fields(obj) -> dict:
    return {f.attname: getattr(obj, f.attname) for f in type(obj)._meta.concrete_fields}


def test_a_joined_read_loads_what_select_related_loads_in_one_statement(cat_exam, people):  # noqa: F811
    student, client = people.student(people.org(), phone="010-1234-5678")
    started = post(client, f"/api/v1/exams/{cat_exam.pk}/start/").json()
    post(client, f"/api/v1/attempts/{started['attempt']['id']}/answer/", {"item": started["item"]["id"], "answer": "2"})
    orm = Attempt.objects.select_related("exam", "student").get(pk=started["attempt"]["id"])
    assert orm.state and orm.student.phone and orm.student.birth_date  # JSON and encrypted values to convert

    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        read = READ.one(orm.pk, student.user_id)
        assert _fields(read) == _fields(orm)
        assert _fields(read.exam) == _fields(orm.exam) and _fields(read.student) == _fields(orm.student)
        assert read.student.phone == orm.student.phone and isinstance(read.state, dict)
        assert not read._state.adding and read._state.db == "default"
    assert len(queries) == 1 and "FOR UPDATE OF" in queries[0]["sql"]


def test_a_joined_read_of_a_row_not_matching_every_key_is_does_not_exist(cat_exam, people):  # noqa: F811
    org = people.org()
    student, client = people.student(org)
    other, _client = people.student(org)
    attempt = post(client, f"/api/v1/exams/{cat_exam.pk}/start/").json()["attempt"]["id"]
    with transaction.atomic():
        assert READ.one(attempt, student.user_id).pk == attempt
        with pytest.raises(Attempt.DoesNotExist):
            READ.one(attempt, other.user_id)  # someone else's
        with pytest.raises(Attempt.DoesNotExist):
            READ.one(attempt + 10**6, student.user_id)
        with pytest.raises(Attempt.DoesNotExist):
            READ.one(10**20, student.user_id)  # past bigint: no row, not a database error


def test_a_joined_read_refuses_a_relation_it_cannot_join_inside():
    with pytest.raises(ValueError):
        JoinedRead(Attempt, related=("room",), keys=("pk",)).one(1)  # nullable: would need an outer join

"""field__any: the same rows as field__in, with the list sent as one array parameter."""

from datetime import date

import pytest

from apps.academy.models import Guardian, Student
from apps.academy.services import people

pytestmark = pytest.mark.django_db


def test_any_finds_what_in_finds_for_text_ids_and_foreign_keys(tenants):
    with tenants["academy"].context():
        a = people.upsert_student(name="가나", birth_date=date(2015, 1, 1), guardian_phone="01011112222").student
        b = people.upsert_student(name="다라", birth_date=date(2016, 1, 1), guardian_phone="01033334444").student
        people.upsert_student(name="마바", birth_date=date(2017, 1, 1), guardian_phone="01055556666")
        indexes = [people.phone_index("01011112222"), people.phone_index("01033334444"), "not an index"]
        assert set(Guardian.objects.filter(phone_index__any=indexes)) == set(
            Guardian.objects.filter(phone_index__in=indexes)
        )
        assert Guardian.objects.filter(phone_index__any=indexes).count() == 2
        assert set(Student.objects.filter(pk__any=[a.pk, b.pk, 0])) == {a, b}
        assert set(Student.objects.filter(family_id__any=[a.family_id])) == {a}
        assert set(Student.objects.filter(family__any=[b.family_id])) == {b}
        assert list(Student.objects.filter(pk__any=[])) == []
        sql, params = Student.objects.filter(pk__any=list(range(10_000))).query.sql_with_params()
        assert sql.count("%s") == 1 and "= ANY(%s::bigint[])" in sql and params == (list(range(10_000)),)

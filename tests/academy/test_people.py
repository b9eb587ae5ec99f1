from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from apps.academy.models import Family, Guardian, GuardianLink, Student
from apps.academy.services import people
from apps.ledger.models import Event

from .conftest import student


def test_siblings_sharing_a_phone_stay_two_students_with_one_guardian(academy):
    with academy.t.context():
        first = student("김민준", date(2015, 3, 2), "010-1234-5678")
        second = student("김서연", date(2017, 8, 9), "01012345678")
        assert first.pk != second.pk
        assert first.family_id == second.family_id
        assert Guardian.objects.count() == 1
        assert GuardianLink.objects.filter(guardian__phone_index=people.phone_index("01012345678")).count() == 2


def test_the_same_student_listed_again_is_the_same_profile_in_any_phone_form(academy):
    with academy.t.context():
        first = student(guardian="010-1234-5678")
        for form in ("+82 10-1234-5678", 1012345678, "010 1234 5678"):
            again = people.upsert_student(
                name="김민준 ", birth_date=date(2015, 3, 2), guardian_phone=form, school="서울초"
            )
            assert again.student.pk == first.pk and not again.created
        assert Student.objects.count() == 1 and Family.objects.count() == 1
        assert Student.objects.get().school == "서울초"
        kinds = list(Event.objects.values_list("kind", flat=True))
        assert kinds.count("student.created") == 1 and kinds.count("student.updated") == 1


def test_a_grade_in_another_form_is_the_same_grade(academy):
    """The desk stores a grade as the roster import does (1학년 and 1 are one grade)."""
    with academy.t.context():
        first = student(grade="1학년")
        assert first.grade == "1"
        again = people.upsert_student(
            name="김민준", birth_date=date(2015, 3, 2), guardian_phone="010-1234-5678", grade=1
        )
        assert again.updated_fields == [] and Event.objects.filter(kind="student.updated").count() == 0


def test_a_birth_date_learned_later_updates_the_profile(academy):
    with academy.t.context():
        first = people.upsert_student(name="이하준", guardian_phone="010-2222-3333").student
        later = people.upsert_student(
            name="이하준", birth_date=date(2016, 1, 5), guardian_phone="010-2222-3333"
        ).student
        assert first.pk == later.pk and later.birth_date == date(2016, 1, 5)


def test_namesakes_in_different_families_are_different_students(academy):
    with academy.t.context():
        a = student("박지호", date(2015, 1, 1), "010-1111-1111")
        b = student("박지호", date(2015, 1, 1), "010-9999-9999")
        assert a.pk != b.pk


def test_phone_and_birth_date_are_ciphertext_at_rest(academy):
    with academy.t.context():
        kid = student()
        with connection.cursor() as cursor:
            cursor.execute("SELECT birth_date FROM academy_student WHERE id = %s", [kid.pk])
            raw_birth = cursor.fetchone()[0]
            cursor.execute("SELECT phone, phone_index FROM academy_guardian")
            raw_phone, index = cursor.fetchone()
        assert raw_birth.startswith("fernet:") and "2015" not in raw_birth
        assert raw_phone.startswith("fernet:") and "1234" not in raw_phone
        assert len(index) == 64 and index != people.phone_index("01099998888")
        assert people.find_guardian("010-1234-5678").pk == Guardian.objects.get().pk


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"name": " "}, "name"),
        ({"name": "A", "guardian_phone": "010-12"}, "guardian_phone"),
        ({"name": "A", "birth_date": date(2999, 1, 1), "guardian_phone": "010-1234-5678"}, "birth_date"),
        ({"name": "A"}, "birth_date"),
        ({"name": "A", "guardian_phone": "010-1234-5678", "status": "graduated"}, "status"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(academy, kwargs, field):
    with academy.t.context():
        events = Event.objects.count()
        with pytest.raises(ValidationError) as info:
            people.upsert_student(**kwargs)
        assert field in info.value.message_dict
        assert Student.objects.count() == Guardian.objects.count() == 0
        assert Event.objects.count() == events


def test_a_parents_link_request_waits_for_approval(academy):
    with academy.t.context():
        kid = student()
        other_parent, _ = people.find_or_create_guardian(phone="010-5555-6666", name="아빠")
        link = people.link_guardian(other_parent, kid, approved=False)
        assert list(people.guardians_of(kid)) == [Guardian.objects.get(phone_index=people.phone_index("01012345678"))]
        people.decide_link(link, approve=True, actor="staff")
        assert people.guardians_of(kid).count() == 2
        with pytest.raises(ValidationError):
            people.decide_link(link, approve=False, actor="staff")

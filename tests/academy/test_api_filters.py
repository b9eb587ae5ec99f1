"""Filtering, search and ordering on the academy's list endpoints (django-filter; issue 11
item 7), visible in the OpenAPI schema, and never wider than the user's scope."""

from datetime import date

import pytest

from apps.academy.services import enrollment

from .conftest import student

pytestmark = pytest.mark.usefixtures("before_december")


@pytest.fixture
def roster(academy):
    with academy.t.context():
        a = student("가나다", date(2015, 1, 1), "010-1111-0001", school="한빛초")
        b = student("라마바", date(2014, 5, 5), "010-1111-0002", school="푸른초", grade="3")
        c = student("사아자", date(2016, 7, 7), "010-1111-0003", school="한빛초", status="paused")
        enrollment.enroll(a, academy.klass, starts_on=date(2026, 12, 1))
        enrollment.enroll(b, academy.other, starts_on=date(2026, 12, 1))
    return {"a": a, "b": b, "c": c}


def _names(response) -> list[str]:
    assert response.status_code == 200, response.content[:300]
    return [row.get("name") or row.get("student_name") for row in response.json()["results"]]


def test_students_filter_search_and_order(academy, roster, member):
    _user, staff = member("academy", "staff")
    assert _names(staff.get("/api/v1/students/", {"status": "paused"})) == ["사아자"]
    assert _names(staff.get("/api/v1/students/", {"search": "한빛"})) == ["가나다", "사아자"]
    assert _names(staff.get("/api/v1/students/", {"q": "푸른"})) == ["라마바"]  # the older parameter
    assert _names(staff.get("/api/v1/students/", {"grade": "3"})) == ["라마바"]
    assert _names(staff.get("/api/v1/students/", {"ordering": "-name"})) == ["사아자", "라마바", "가나다"]
    assert _names(staff.get("/api/v1/students/", {"ordering": "name"})) == ["가나다", "라마바", "사아자"]
    # A bad value names the parameter; ordering by an undeclared field is ignored, not a 500.
    bad = staff.get("/api/v1/students/", {"status": "nonsense"})
    assert bad.status_code == 400 and "status" in bad.json()["fields"]
    assert staff.get("/api/v1/students/", {"ordering": "memo"}).status_code == 200
    assert staff.get("/api/v1/consultations/", {"follow_up": "-102"}).status_code == 400  # strict yes/no
    assert staff.get("/api/v1/consultations/", {"follow_up": "false"}).status_code == 200


def test_filters_never_widen_the_scope(academy, roster, member):
    coach_user, coach = member("academy", "coach")
    with academy.t.context():
        academy.coach.user = coach_user
        academy.coach.save()
    # The coach teaches 선수반 only: searching for the other class's student finds nothing.
    assert _names(coach.get("/api/v1/students/", {"search": "라마바"})) == []
    classes = coach.get("/api/v1/classes/", {"search": "실전"})
    assert classes.status_code == 200 and classes.json()["results"] == []


def test_other_lists_filter_and_order(academy, roster, member):
    _user, owner = member("academy", "owner")
    enrollments = owner.get("/api/v1/enrollments/", {"klass": academy.klass.pk}).json()["results"]
    assert [e["student"] for e in enrollments] == [roster["a"].pk]
    classes = owner.get("/api/v1/classes/", {"ordering": "-monthly_fee"}).json()["results"]
    assert [c["name"] for c in classes] == ["선수반", "실전반"]
    assert [c["name"] for c in owner.get("/api/v1/classes/", {"search": "실전"}).json()["results"]] == ["실전반"]
    sessions = owner.get("/api/v1/sessions/", {"date_after": "2026-12-01", "date_before": "2026-12-31"})
    assert sessions.status_code == 200


def test_filters_search_and_ordering_are_in_the_schema(tenants, db):
    schema = tenants["academy"].client().get("/api/schema/", {"format": "json"}).json()

    def params(path):
        return {p["name"] for p in schema["paths"][path]["get"].get("parameters", [])}

    assert {"status", "grade", "q", "search", "ordering", "page"} <= params("/api/v1/students/")
    assert {"student", "session", "status", "date", "ordering"} <= params("/api/v1/attendance/")
    assert {"klass", "date", "date_after", "date_before", "status"} <= params("/api/v1/sessions/")
    assert {"status", "family", "search", "ordering"} <= params("/api/v1/invoices/")
    assert {"student", "at_risk"} <= params("/api/v1/vindex/")
    # No ?search= where nothing is searched.
    assert "search" not in params("/api/v1/attendance/")


def test_a_filter_by_an_id_that_names_nothing_lists_nothing(academy, roster, member):
    """A deleted coach's or class's id is a question with no rows, not a bad request (the
    fuzzer's schema-valid requests were refused with 400 "select a valid choice")."""
    _user, staff = member("academy", "staff")
    assert len(staff.get("/api/v1/enrollments/", {"student": roster["a"].pk}).json()["results"]) == 1
    for path, name in (
        ("/api/v1/enrollments/", "klass"),
        ("/api/v1/classes/", "coach"),
        ("/api/v1/invoices/", "family"),
    ):
        response = staff.get(path, {name: 987654321})
        assert response.status_code == 200, (path, response.content[:200])
        assert response.json()["results"] == []
        # Too large for the database, still nothing rather than an error.
        assert staff.get(path, {name: 10**20}).json()["results"] == []
    # Not a number at all is still a bad request naming the parameter.
    bad = staff.get("/api/v1/classes/", {"coach": "abc"})
    assert bad.status_code == 400 and list(bad.json()["fields"]) == ["coach"]
    # Yes/no filters are strict everywhere, including the ones filterset_fields makes.
    assert staff.get("/api/v1/classes/", {"is_active": "822"}).status_code == 400


def test_an_empty_page_number_is_not_page_one(academy, roster, member):
    _user, staff = member("academy", "staff")
    assert staff.get("/api/v1/students/", {"page": "1"}).status_code == 200
    assert staff.get("/api/v1/students/", {"page": ""}).status_code == 404


def test_an_empty_filter_value_is_a_field_error_except_for_free_text(academy, roster, member):
    """`?status=` is not a status (the schema's enum has no empty value): django-filter would
    read it as "no filter" and list everything (found by the fuzzer on /enrollments/)."""
    _user, staff = member("academy", "staff")
    for path, name in (
        ("/api/v1/enrollments/", "status"),
        ("/api/v1/enrollments/", "klass"),
        ("/api/v1/classes/", "is_active"),
    ):
        response = staff.get(path, {name: ""})
        assert response.status_code == 400, (path, name, response.content[:200])
        assert response.json()["codes"] == {name: ["blank"]}
    # Free text may be empty: an empty search is no search.
    assert staff.get("/api/v1/students/", {"search": ""}).status_code == 200

"""Ordinary requests that answered 500 (issue 12, defect 2) and the API's error body with
DEBUG on (defect 8)."""

from datetime import date

import pytest

from apps.academy.models import Attendance, Session, Student
from apps.academy.services import enrollment

from .conftest import student

pytestmark = pytest.mark.usefixtures("before_december")


def test_a_student_without_any_phone_is_created(academy, member):
    _user, staff = member("academy", "staff")
    staff.raise_request_exception = False
    response = staff.post(
        "/api/v1/students/", {"name": "홍길동", "birth_date": "2015-02-03"}, content_type="application/json"
    )
    assert response.status_code == 201, response.content[:500]
    assert response.json()["name"] == "홍길동"
    # The same child again (no phone: keyed on name and birth date) is the same row.
    again = staff.post(
        "/api/v1/students/", {"name": "홍길동", "birth_date": "2015-02-03"}, content_type="application/json"
    )
    assert again.status_code == 200 and again.json()["id"] == response.json()["id"]
    with academy.t.context():
        assert Student.objects.filter(name="홍길동").count() == 1


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_write_methods_on_the_read_only_vindex_are_405(academy, member, method):
    _user, owner = member("academy", "owner")
    owner.raise_request_exception = False
    for path in ("/api/v1/vindex/", "/api/v1/vindex/1/"):
        response = getattr(owner, method)(path, {}, content_type="application/json")
        assert response.status_code in (404, 405), (path, response.status_code, response.content[:300])
        assert response.json()["code"] in ("method_not_allowed", "not_found")
    assert getattr(owner, method)("/api/v1/vindex/", {}, content_type="application/json").status_code == 405


def test_roll_call_with_a_key_that_is_not_a_student_id_is_a_field_error(academy, member):
    _user, staff = member("academy", "staff")
    staff.raise_request_exception = False
    with academy.t.context():
        kid = student()
        enrollment.enroll(kid, academy.klass, starts_on=date(2026, 12, 1))
        session = Session.objects.create(
            klass=academy.klass,
            date=date(2026, 12, 2),
            starts_at=academy.klass.slots.first().starts_at,
            ends_at=academy.klass.slots.first().ends_at,
        )
    for key in ("abc", "1.5", "-3", "١٢", ""):
        response = staff.post(
            f"/api/v1/sessions/{session.pk}/roll_call/",
            {"marks": {key: "present", str(kid.pk): "present"}},
            content_type="application/json",
        )
        assert response.status_code == 400, (key, response.content[:300])
        assert "marks" in response.json()["fields"]
    with academy.t.context():
        assert not Attendance.objects.filter(session=session).exists()  # all marks or none
    ok = staff.post(
        f"/api/v1/sessions/{session.pk}/roll_call/",
        {"marks": {str(kid.pk): "present"}},
        content_type="application/json",
    )
    assert ok.status_code == 200, ok.content[:300]


@pytest.mark.parametrize("debug", [True, False])
def test_api_errors_are_the_json_body_whatever_debug_is(tenants, db, settings, monkeypatch, debug):
    """With DEBUG on, Django answered an unknown /api/ URL and an unexpected exception with
    its debug HTML page (settings, SQL, paths)."""
    settings.DEBUG = debug
    client = tenants["academy"].client(raise_request_exception=False)
    missing = client.get("/api/v1/no-such-endpoint/")
    assert missing.status_code == 404
    assert missing["Content-Type"].startswith("application/json")
    assert missing.json()["code"] == "not_found"

    def boom(request):
        raise RuntimeError("SELECT secret FROM settings")

    from rest_framework.views import APIView

    monkeypatch.setattr(APIView, "initial", lambda self, request, *a, **k: boom(request))
    crashed = client.get("/api/v1/site/")
    assert crashed.status_code == 500
    assert crashed["Content-Type"].startswith("application/json")
    assert crashed.json() == {"code": "server_error", "message": crashed.json()["message"]}
    assert b"SELECT secret" not in crashed.content and b"Traceback" not in crashed.content


def _schema(tenants):
    return tenants["academy"].client().get("/api/schema/", {"format": "json"}).json()


def _resolve(schema, node):
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
    return node


def test_the_schema_describes_what_the_api_answers(tenants, db):
    """Defect 3: times declared `format: time` (RFC 3339, with an offset) but written
    "17:00:00"; granted_by null but not nullable; roll_call's plain list declared paginated;
    error status codes undeclared."""
    import re

    from apps.core.api.schema import TIME_PATTERN

    schema = _schema(tenants)
    slot = _resolve(schema, {"$ref": "#/components/schemas/Slot"})
    assert slot["properties"]["starts_at"]["format"] == "partial-time"
    assert re.match(slot["properties"]["starts_at"]["pattern"], "17:00:00") and TIME_PATTERN
    assert not re.match(TIME_PATTERN, "25:00:00")
    granted_by = _resolve(schema, {"$ref": "#/components/schemas/RoleAssignment"})["properties"]["granted_by"]
    assert granted_by.get("nullable") is True
    roll_call = schema["paths"]["/api/v1/sessions/{id}/roll_call/"]["post"]["responses"]
    assert roll_call["200"]["content"]["application/json"]["schema"]["type"] == "array"
    listing = schema["paths"]["/api/v1/attendance/"]["get"]["responses"]["200"]["content"]["application/json"]
    assert "results" in _resolve(schema, listing["schema"])["properties"]  # the list is paginated
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            if method in ("get", "post", "put", "patch", "delete"):
                assert {"400", "401", "403", "404", "429"} <= set(operation["responses"]), (method, path)


def test_implausible_dates_are_a_field_error(academy, member):
    _user, staff = member("academy", "staff")
    made = staff.post("/api/v1/consultations/", {"student_name": "새학생"}, content_type="application/json")
    assert made.status_code == 201, made.content[:300]
    pk = made.json()["id"]
    moved = staff.post(
        f"/api/v1/consultations/{pk}/move/",
        {"status": "scheduled", "scheduled_at": "0165-09-15T07:38:03Z"},
        content_type="application/json",
    )
    assert moved.status_code == 400 and "scheduled_at" in moved.json()["fields"], moved.content[:300]
    born = staff.post(
        "/api/v1/consultations/", {"student_name": "x", "birth_date": "0001-01-01"}, content_type="application/json"
    )
    assert born.status_code == 400 and "birth_date" in born.json()["fields"]
    fine = staff.post(
        f"/api/v1/consultations/{pk}/move/",
        {"status": "scheduled", "scheduled_at": "2026-12-15T17:00:00+09:00"},
        content_type="application/json",
    )
    assert fine.status_code == 200, fine.content[:300]
    assert fine.json()["scheduled_at"].startswith("2026-12-15T17:00:00+09:00")


def test_unknown_ids_are_told_apart_from_bad_values_by_their_code(academy, member):
    _user, staff = member("academy", "staff")
    response = staff.post(
        "/api/v1/enrollments/", {"student": 987654321, "klass": "abc"}, content_type="application/json"
    )
    assert response.status_code == 400
    body = response.json()
    assert body["codes"]["student"] == ["does_not_exist"]
    assert body["codes"]["klass"] == ["incorrect_type"]
    assert set(body["fields"]) == set(body["codes"])


def test_a_kiosk_pin_that_names_no_student_says_so_by_code(academy, member):
    _user, staff = member("academy", "staff")
    response = staff.post("/api/v1/attendance/check_in/", {"pin": "0000"}, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["codes"] == {"pin": ["does_not_exist"]}
    neither = staff.post("/api/v1/attendance/check_in/", {}, content_type="application/json")
    assert neither.status_code == 400

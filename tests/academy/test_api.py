import json
from datetime import date

import pytest
from drf_spectacular.validation import validate_schema

from apps.academy.models import Attendance, Consultation, Guardian, GuardianLink, Session, Student
from apps.academy.services import billing, enrollment, people, schedule

from .conftest import student

pytestmark = pytest.mark.usefixtures("before_december")


@pytest.fixture
def families(academy, member):
    """Two families in the academy; a guardian login for the first; a coach for 선수반."""
    with academy.t.context():
        mine = student("내아이", date(2015, 1, 1), "010-1111-2222")
        sibling = student("내둘째", date(2017, 1, 1), "010-1111-2222")
        theirs = student("남의아이", date(2015, 2, 2), "010-9999-8888")
        enrollment.enroll(mine, academy.klass, starts_on=date(2026, 12, 1))
        enrollment.enroll(theirs, academy.other, starts_on=date(2026, 12, 1))
        billing.issue_monthly_invoices(date(2026, 12, 1))
    parent, parent_client = member("academy", "guardian")
    coach_user, coach_client = member("academy", "coach")
    _staff, staff_client = member("academy", "staff")
    with academy.t.context():
        Guardian.objects.filter(phone_index=people.phone_index("01011112222")).update(user=parent)
        # the second child's link is still waiting for approval
        GuardianLink.objects.filter(student=sibling).update(status=GuardianLink.Status.PENDING)
        academy.coach.user = coach_user
        academy.coach.save()
    return {
        "mine": mine,
        "sibling": sibling,
        "theirs": theirs,
        "parent": parent_client,
        "coach": coach_client,
        "staff": staff_client,
    }


def names(response) -> set[str]:
    body = response.json()
    rows = body["results"] if isinstance(body, dict) and "results" in body else body
    return {row.get("name") or row.get("student_name") for row in rows}


def test_guardian_sees_only_approved_children_and_own_invoices(academy, families):
    parent = families["parent"]
    assert names(parent.get("/api/v1/students/")) == {"내아이"}
    assert parent.get(f"/api/v1/students/{families['theirs'].pk}/").status_code == 404
    assert parent.get(f"/api/v1/students/{families['sibling'].pk}/").status_code == 404  # not approved yet
    invoices = parent.get("/api/v1/invoices/").json()["results"]
    assert len(invoices) == 1 and invoices[0]["family"] == families["mine"].family_id
    assert (
        parent.post("/api/v1/consultations/", {"student_name": "x"}, content_type="application/json").status_code == 403
    )


def test_coach_sees_only_the_classes_they_teach(academy, families):
    coach = families["coach"]
    assert names(coach.get("/api/v1/students/")) == {"내아이"}
    classes = coach.get("/api/v1/classes/").json()["results"]
    assert [c["name"] for c in classes] == ["선수반"]
    assert coach.get("/api/v1/invoices/").status_code == 403


def test_staff_runs_the_desk_through_the_api(academy, families):
    staff = families["staff"]
    made = staff.post(
        "/api/v1/consultations/",
        {
            "student_name": "새학생",
            "guardian_phone": "010-5555-0001",
            "birth_date": "2016-03-03",
            "klass": academy.other.pk,
        },
        content_type="application/json",
    )
    assert made.status_code == 201
    consultation = made.json()["id"]
    bad = staff.post(f"/api/v1/consultations/{consultation}/move/", {"status": "lost"}, content_type="application/json")
    assert bad.status_code == 400 and bad.json()["fields"] == {"lost_reason": [bad.json()["fields"]["lost_reason"][0]]}
    converted = staff.post(
        f"/api/v1/consultations/{consultation}/convert/", {"starts_on": "2026-12-01"}, content_type="application/json"
    )
    assert converted.status_code == 201
    with academy.t.context():
        assert Consultation.objects.get(pk=consultation).status == "enrolled"
        assert Student.objects.filter(name="새학생").exists()
        schedule.generate_sessions(date(2026, 12, 2), date(2026, 12, 2), [academy.klass])
        session = Session.objects.get(klass=academy.klass, date=date(2026, 12, 2))
    rolled = staff.post(
        f"/api/v1/sessions/{session.pk}/roll_call/",
        {"marks": {str(families["mine"].pk): "present"}, "absent_rest": True},
        content_type="application/json",
    )
    assert rolled.status_code == 200
    with academy.t.context():
        assert Attendance.objects.get(student=families["mine"]).status == "present"
    quote = staff.get(
        f"/api/v1/enrollments/{families['mine'].enrollments.get().pk}/refund_quote/", {"on": "2026-12-10"}
    )
    assert quote.json()["rule"] == "before_one_third"
    dashboard = staff.get("/api/v1/dashboard/").json()
    assert set(dashboard) >= {"today", "unpaid", "follow_ups", "alerts"}
    assert dashboard["unpaid"]["count"] == 2


def test_bad_enrollment_names_the_field(academy, families):
    response = families["staff"].post(
        "/api/v1/enrollments/",
        {"student": families["mine"].pk, "klass": academy.klass.pk, "starts_on": "2026-12-01"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "klass" in response.json()["fields"]  # already in that class


def test_academy_openapi_schema_validates(academy):
    response = academy.t.client().get("/api/schema/", {"format": "json"})
    schema = json.loads(response.content)
    validate_schema(schema)
    for path in (
        "/api/v1/students/",
        "/api/v1/invoices/{id}/pay/",
        "/api/v1/sessions/{id}/roll_call/",
        "/api/v1/dashboard/",
    ):
        assert path in schema["paths"], path

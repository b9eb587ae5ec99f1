"""One student's whole life in the academy, through the real server, the real worker and
the sandboxes: consultation → enrollment → sessions → check-in → invoice → online payment →
receipt → feedback, with the ledger, the notifications and the V-Index checked."""

import time
from datetime import date, timedelta

import httpx
from django.utils import timezone

from apps.academy.models import Guardian, Invoice, Student, VIndexSnapshot
from apps.academy.services import people
from apps.ledger.models import Event
from apps.ledger.services import verify
from apps.notifications.models import Message
from tests.notifications.conftest import configure_providers
from tests.payments.conftest import configure_gateways, pay_on_sandbox
from tests.utils import PASSWORD, grant, make_user

from .conftest import build_academy
from .test_live_board import session_today


def wait(predicate, timeout: float = 30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(0.2)
    return predicate()


def test_the_whole_lifecycle(live_tenant, asgi_server, celery_worker, sandbox_messages):
    t = live_tenant("academy")
    academy = build_academy(t)
    with t.context():
        configure_providers(asgi_server)
        configure_gateways(asgi_server)
        session = session_today(academy)
        for username, role in (("desk", "staff"), ("coach", "coach"), ("mom", "guardian")):
            grant(make_user(username), role)
        academy.coach.user = make_user("coach_login")
        academy.coach.save()
        grant(academy.coach.user, "coach")

    base = f"http://127.0.0.1:{asgi_server.port}"

    def api(username: str) -> httpx.Client:
        client = httpx.Client(base_url=base, headers={"Host": f"{t.domain}:{asgi_server.port}"}, timeout=20)
        login = client.post("/_allauth/app/v1/auth/login", json={"username": username, "password": PASSWORD})
        client.headers["X-Session-Token"] = login.json()["meta"]["session_token"]
        return client

    desk, coach = api("desk"), api("coach_login")

    # 상담 → 등록
    consultation = desk.post(
        "/api/v1/consultations/",
        json={
            "student_name": "김하늘",
            "guardian_phone": "010-7777-1234",
            "guardian_name": "김엄마",
            "birth_date": "2016-04-04",
            "source": "phone",
        },
    ).json()
    scheduled_at = (timezone.now() + timedelta(hours=1)).isoformat()
    assert (
        desk.post(
            f"/api/v1/consultations/{consultation['id']}/move/",
            json={"status": "scheduled", "scheduled_at": scheduled_at},
        ).status_code
        == 200
    )
    assert desk.post(f"/api/v1/consultations/{consultation['id']}/move/", json={"status": "held"}).status_code == 200
    enrolled = desk.post(
        f"/api/v1/consultations/{consultation['id']}/convert/",
        json={"klass": academy.klass.pk, "starts_on": (date.today() - timedelta(days=1)).isoformat()},
    )
    assert enrolled.status_code == 201, enrolled.text
    with t.context():
        kid = Student.objects.get(name="김하늘")
        guardian = Guardian.objects.get(phone_index=people.phone_index("01077771234"))
        from django.contrib.auth import get_user_model

        guardian.user = get_user_model().objects.get(username="mom")
        guardian.save()
    mom = api("mom")

    # 스케줄 → 출석 (kiosk PIN)
    pin = desk.post(f"/api/v1/students/{kid.pk}/kiosk_pin/").json()["pin"]
    checked = desk.post("/api/v1/attendance/check_in/", json={"pin": pin})
    assert checked.status_code == 200 and checked.json()["session"] == session.pk

    # 청구 → 수납 (the guardian pays online through the sandbox gateway)
    invoices = mom.get("/api/v1/invoices/").json()["results"]
    assert len(invoices) == 1 and invoices[0]["due"] > 0
    checkout = mom.post(f"/api/v1/invoices/{invoices[0]['id']}/pay/").json()
    pay_on_sandbox(asgi_server, checkout["checkout_url"])
    with t.context():
        invoice = Invoice.objects.get(pk=invoices[0]["id"])
        assert wait(lambda: Invoice.objects.get(pk=invoice.pk).status == "paid")

    # 피드백
    given = coach.post(
        "/api/v1/feedback/", json={"session": session.pk, "student": kid.pk, "text": "슈팅이 좋아졌어요", "skill": 4}
    )
    assert given.status_code == 201, given.text
    assert mom.get("/api/v1/feedback/").json()["results"][0]["text"] == "슈팅이 좋아졌어요"

    with t.context():
        kinds = list(Event.objects.order_by("seq").values_list("kind", flat=True))
        for step in (
            "consultation.created",
            "consultation.scheduled",
            "consultation.held",
            "student.created",
            "guardian.created",
            "enrollment.created",
            "invoice.issued",
            "consultation.enrolled",
            "attendance.marked",
            "payment.started",
            "payment.gateway_paid",
            "payment.received",
            "feedback.given",
        ):
            assert step in kinds, step
        assert kinds.index("enrollment.created") < kinds.index("attendance.marked") < kinds.index("payment.received")
        assert verify().ok

        # 알림: payment request, arrival and receipt all went out through the SENS sandbox
        for template in ("payment_request", "attendance_arrival", "receipt"):
            assert wait(
                lambda template=template: Message.objects.filter(template__code=template, status="sent").exists()
            ), template
        receipt = Message.objects.get(template__code="receipt")
        assert receipt.channel == "alimtalk" and "결제가 완료되었습니다" in receipt.text
    assert any("결제가 완료" in m.content for m in sandbox_messages(to="01077771234"))

    # V-Index: recomputed by the worker after the events above
    with t.context():
        latest = wait(lambda: VIndexSnapshot.objects.filter(student=kid, breakdown__counts__feedback=1).first())
        assert latest is not None
        counts = latest.breakdown["counts"]
        assert counts["attendance"] == 1 and counts["payment"] == 1 and counts["feedback"] == 1
        assert latest.value > 0 and not latest.at_risk

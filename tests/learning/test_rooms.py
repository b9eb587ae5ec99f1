"""Live exam rooms over real websockets (Channels' WebsocketCommunicator through the
project's ASGI application): the teacher starts, pauses, extends and ends; students get the
state and the remaining time and resume after reconnecting; the teacher sees each student's
progress and presence; another class, a parent and another zone cannot join or listen."""

from __future__ import annotations

from datetime import date

import pytest
from channels.db import database_sync_to_async
from django.core.exceptions import ValidationError

from apps.core.websocket import CloseCode
from tests.utils import PASSWORD, grant, make_user
from tests.websocket import close_code, open_socket


def login(t, user) -> str:
    with t.context():
        client = t.client()
        client.force_login(user)
    return client.cookies["mc_session"].value


def build(t):
    from apps.learning.services import exams, items, links, people, rooms

    with t.context():
        org = people.create_organisation(name="한빛고", code="hanbit")
        users = {}
        for name, role in (("t1", "teacher"), ("t2", "teacher"), ("p1", "parent")):
            users[name] = make_user(name)
            grant(users[name], role)
        people.add_staff(org, users["t1"], "teacher")
        people.add_staff(org, users["t2"], "teacher")
        s1 = people.create_student(
            username="s1",
            name="학생1",
            email="s1@x.test",
            organisation=org,
            password=PASSWORD,
            birth_date=date(2008, 1, 1),
        )
        s2 = people.create_student(username="s2", name="학생2", email="s2@x.test", organisation=org, password=PASSWORD)
        users["s1"], users["s2"] = s1.user, s2.user
        c1 = people.create_class(organisation=org, name="1반", teachers=[users["t1"]])
        c2 = people.create_class(organisation=org, name="2반", teachers=[users["t2"]])
        people.enroll(c1, s1)
        people.enroll(c2, s2)
        link = links.request_link(actor=users["p1"], email="s1@x.test")
        links.decide_link(link, approve=True, actor=s1.user)
        for i in range(12):
            items.create_item(
                code=f"i{i}", stem=f"{i}?", choices=["a", "b", "c"], key="2", area="수학", status="live", b=-1.5 + i / 4
            )
        exam = exams.publish(
            exams.create_exam(title="실시간 시험", kind="adaptive", cat_settings={"se_target": None, "max_length": 10})
        )
        room = rooms.open_room(exam=exam, klass=c1, duration_seconds=600, actor=users["t1"])
        return {"t": t, "room": room.pk, "s1": s1.pk, "cookies": {k: login(t, u) for k, u in users.items()}}


@pytest.fixture
def zones(live_tenant):
    return [build(live_tenant("zone")) for _ in range(2)]


async def until(ws, kind: str, timeout: float = 15, where=lambda message: True) -> dict:
    """The next message of type `kind` for which `where` holds (others before it are skipped)."""
    for _ in range(10):
        message = await ws.receive_json_from(timeout=timeout)
        if message.get("type") == kind and where(message):
            return message
    raise AssertionError(f"no {kind} message")


async def test_only_the_rooms_class_and_its_teachers_can_join_or_listen(zones):
    a, b = zones
    path = f"/ws/learning/rooms/{a['room']}/"
    assert a["room"] == b["room"]  # the same id in both zones

    teacher, ok = await open_socket(a["t"].domain, path, cookie=a["cookies"]["t1"])
    first = await teacher.receive_json_from(timeout=5)
    assert ok and first["type"] == "state" and first["status"] == "waiting"
    assert [row["student"] for row in first["students"]] == [a["s1"]]
    student, _ = await open_socket(a["t"].domain, path, cookie=a["cookies"]["s1"])
    assert (await student.receive_json_from(timeout=5))["status"] == "waiting"
    assert (await until(teacher, "presence"))["online"] is True

    for who, code in (("s2", CloseCode.NOT_FOUND), ("t2", CloseCode.NOT_FOUND), ("p1", CloseCode.FORBIDDEN)):
        ws, _ = await open_socket(a["t"].domain, path, cookie=a["cookies"][who])
        assert await close_code(ws) == code, who
    # Zone B's teacher: their session is nobody on zone A; on zone B, the same room id is B's.
    ws, _ = await open_socket(a["t"].domain, path, cookie=b["cookies"]["t1"])
    assert await close_code(ws) == CloseCode.UNAUTHENTICATED
    other, _ = await open_socket(b["t"].domain, path, cookie=b["cookies"]["t1"])
    assert (await other.receive_json_from(timeout=5))["status"] == "waiting"

    # Start: everyone in the room hears it, with the time left.
    await teacher.send_json_to({"action": "start"})
    running = await until(student, "state")
    assert running["status"] == "running" and 590 <= running["remaining_seconds"] <= 600
    await student.send_json_to({"action": "join"})
    joined = await until(student, "joined")
    attempt_id = joined["attempt"]
    assert attempt_id

    # The student answers (over REST); the teacher sees the progress, the student does not.
    def answer_once():
        from apps.learning.models import Attempt
        from apps.learning.services import attempts

        with a["t"].context():
            attempt = Attempt.objects.get(pk=attempt_id)
            step = attempts.current(attempt)
            attempts.answer(attempt, item_id=step.item["id"], answer="2", actor=attempt.student.user)

    await database_sync_to_async(answer_once)()
    started = await until(teacher, "progress")  # the attempt started on joining
    assert started["student"] == a["s1"] and started["answered"] == 0 and started["attempt"] == attempt_id
    progress = await until(teacher, "progress")
    assert progress["student"] == a["s1"] and progress["answered"] == 1 and progress["se"] > 0
    assert 0 < progress["remaining_seconds"] <= 600

    # Pause: answering is refused; resume and extend move the deadline.
    await teacher.send_json_to({"action": "pause"})
    assert (await until(student, "state"))["status"] == "paused"
    with pytest.raises(ValidationError) as refused:
        await database_sync_to_async(answer_once)()
    assert "status" in refused.value.message_dict
    await teacher.send_json_to({"action": "resume"})
    assert (await until(student, "state"))["status"] == "running"
    await teacher.send_json_to({"action": "extend", "seconds": 120})
    extended = await until(student, "state")
    assert 700 <= extended["remaining_seconds"] <= 720

    # A student cannot drive the room.
    await student.send_json_to({"action": "end"})
    assert (await until(student, "error"))["code"] == "bad_action"

    # Lost connection: the teacher sees it; the student reconnects and resumes the same attempt.
    await student.disconnect()
    gone = await until(teacher, "presence")
    assert gone == {"type": "presence", "student": a["s1"], "online": False}
    student, _ = await open_socket(a["t"].domain, path, cookie=a["cookies"]["s1"])
    back = await student.receive_json_from(timeout=5)
    assert back["attempt"] == attempt_id and back["status"] == "running"

    await teacher.send_json_to({"action": "end"})
    assert (await until(student, "state"))["status"] == "ended"
    done = await until(teacher, "progress", where=lambda message: message["status"] != "active")
    assert done["status"] == "submitted" and done["answered"] == 1
    assert await other.receive_nothing(timeout=0.5)  # zone B's room heard none of it
    for ws in (teacher, student, other):
        await ws.disconnect()

"""A student takes the adaptive exam to the end in a real browser (Debian's chromium driven
by Playwright) on the zone's app. host, served by the real ASGI server, and reads the report
with its chart of θ and SE. Halfway, the page is left and the exam started again: the same
question comes back (resume). Screenshots go to var/screenshots/learning-*.png."""

from __future__ import annotations

import re

import pytest

from tests.browser import screenshot
from tests.utils import PASSWORD

pytestmark = pytest.mark.browser


def shot(page, name: str) -> None:
    screenshot(page, f"learning-{name}")


def build(t):
    from apps.learning.services import exams, items, people

    with t.context():
        org = people.create_organisation(name="한빛고", code="hanbit")
        student = people.create_student(
            username="minjun", name="김민준", email="minjun@example.com", organisation=org, password=PASSWORD
        )
        for i in range(30):
            items.create_item(
                code=f"m-{i}",
                kind="choice",
                stem=f"**{i} + 1** 의 값은?",
                choices=[str(i), str(i + 1), str(i + 2)],
                key="2",
                area="수학" if i % 2 else "영어",
                status="live",
                a=1.0 + (i % 4) * 0.2,
                b=-2 + 4 * i / 29,
                c=0.2,
            )
        exam = exams.create_exam(
            title="적응형 진단",
            kind="adaptive",
            time_limit_seconds=1800,
            cat_settings={"se_target": 0.5, "min_length": 4, "max_length": 8},
        )
        exams.publish(exam)
        return student.pk, exam.pk


def test_a_student_takes_the_adaptive_exam_to_the_end_and_reads_the_report(live_tenant, asgi_server, django, browser):
    t = django(live_tenant, "zone")
    _student, exam_id = django(build, t)
    app = f"http://app.{t.domain}:{asgi_server.port}"
    page = browser.new_context(locale="ko-KR").new_page()
    page.set_default_timeout(20_000)

    page.goto(f"{app}/")
    assert "/accounts/login/" in page.url
    page.fill("input[name=login]", "minjun")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{app}/")
    assert "적응형 진단" in page.content()
    page.click(f"button[data-exam='{exam_id}']")
    page.wait_for_url(re.compile(r"/attempts/\d+/$"))
    shot(page, "question")

    answered = 0
    resumed = False
    while "/report/" not in page.url:
        question = page.text_content("#attempt .muted")
        if answered == 2 and not resumed:
            # The connection is lost: the student comes back and starts again.
            resumed = True
            page.goto(f"{app}/")
            page.click(f"button[data-exam='{exam_id}']")
            page.wait_for_url(re.compile(r"/attempts/\d+/$"))
            assert page.text_content("#attempt .muted").split("·")[0] == question.split("·")[0]
        page.check("input[name=answer][value='2']" if answered % 3 else "input[name=answer][value='1']")
        page.click("#answer-button")
        page.wait_for_load_state()
        answered += 1
        assert answered <= 8, "the CAT did not stop at its maximum length"
    assert answered >= 4

    shot(page, "report")
    assert -4 <= float(page.text_content("#theta")) <= 4
    assert 0 < float(page.text_content("#se")) < 1.5
    assert page.locator("#theta-chart circle").count() == answered
    assert page.locator("#log tbody tr").count() == answered
    assert page.locator("#areas tbody tr").count() >= 1


def build_room(t):
    from datetime import date

    from apps.learning.services import exams, items, people, rooms
    from tests.utils import grant, make_user

    with t.context():
        org = people.create_organisation(name="누리중", code="nuri")
        teacher = make_user("ssam", password=PASSWORD)
        grant(teacher, "teacher")
        people.add_staff(org, teacher, "teacher")
        student = people.create_student(
            username="jiwoo", name="박지우", organisation=org, password=PASSWORD, birth_date=date(2009, 5, 1)
        )
        klass = people.create_class(organisation=org, name="2반", teachers=[teacher])
        people.enroll(klass, student)
        for i in range(12):
            items.create_item(code=f"r-{i}", stem=f"{i}?", choices=["a", "b", "c"], key="2", area="수학",
                              status="live", b=-1.5 + i / 4)  # fmt: skip
        exam = exams.publish(exams.create_exam(title="실시간 시험", kind="adaptive", cat_settings={"max_length": 6}))
        room = rooms.open_room(exam=exam, klass=klass, duration_seconds=900, actor=teacher)
        return room.pk, student.pk


def test_a_teacher_watches_a_live_room_in_the_browser(live_tenant, asgi_server, django, browser):
    t = django(live_tenant, "zone")
    room_id, student_id = django(build_room, t)
    app = f"http://app.{t.domain}:{asgi_server.port}"
    page = browser.new_context(locale="ko-KR").new_page()
    page.set_default_timeout(20_000)
    page.goto(f"{app}/accounts/login/?next=/teach/rooms/{room_id}/")
    page.fill("input[name=login]", "ssam")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{app}/teach/rooms/{room_id}/")
    page.wait_for_selector(f"#students tr[data-student='{student_id}']")
    page.click("button[data-action=start]")
    from playwright.sync_api import expect  # the page's CSP refuses wait_for_function's eval

    expect(page.locator("#room-status")).to_have_text("running")

    def student_answers():
        from apps.learning.models import LiveRoom, Student
        from apps.learning.services import attempts, rooms

        with t.context():
            student = Student.objects.get(pk=student_id)
            attempt = rooms.join(LiveRoom.objects.get(pk=room_id), student, actor=student.user)
            step = attempts.current(attempt)
            attempts.answer(attempt, item_id=step.item["id"], answer="2", actor=student.user)

    django(student_answers)
    row = f"#students tr[data-student='{student_id}']"
    expect(page.locator(f"{row} td").nth(2)).to_have_text("1")
    shot(page, "room")
    page.click("button[data-action=end]")
    expect(page.locator("#room-status")).to_have_text("ended")
    expect(page.locator(f"{row} td").nth(5)).to_have_text("submitted")

"""A student solves an essay in a real browser (Debian's chromium, Playwright) against the
real ASGI server, a real Celery worker and the sandbox LLM server: the page waits for the
feedback and shows it as soon as it is stored, without a manual reload (ws/problems/)."""

from __future__ import annotations

import json

import pytest

from tests.utils import PASSWORD, grant, make_user

from .conftest import ESSAY

pytestmark = pytest.mark.browser

GRADED = {
    "criteria": [
        {"id": "c1", "score": 4, "comment": "재료를 모두 말함"},
        {"id": "c2", "score": 3, "comment": "산소 빠짐"},
    ],
    "feedback": "재료는 정확합니다. 산물 중 산소를 함께 쓰면 더 좋아요.",
}


def test_a_student_submits_an_essay_and_the_feedback_appears_live(
    live_tenant,
    asgi_server,
    celery_worker,
    fleet,
    django,
    browser,
):
    from apps.problems import services

    zone = django(live_tenant, "zone")
    django(fleet, "llm", "gpu-a")
    # slow enough that the page is open, waiting, when the feedback is stored
    fleet.servers["gpu-a"].control(reply=json.dumps(GRADED, ensure_ascii=False), token_delay_ms=60)

    def setup():
        with zone.context():
            student = make_user("solver")
            grant(student, "student")
            return services.create_problem(actor=None, **ESSAY).pk

    problem = django(setup)
    base = f"http://{zone.domain}:{asgi_server.port}"
    page = browser.new_page(locale="ko-KR")
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=login]", "solver")
    page.fill("input[name=password]", PASSWORD)
    page.locator("form button[type=submit]").last.click()
    page.wait_for_load_state()

    page.goto(f"{base}/problems/{problem}/")
    assert "광합성의 재료" in page.locator("#rubric").inner_text()
    page.fill("#answer_text", "식물은 빛과 물과 이산화탄소로 포도당을 만든다.")
    page.locator("#answer button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator("#result").get_attribute("data-status") == "pending"
    assert page.locator("#result .pending").is_visible()
    # no reload from the test: the page's socket hears the stored feedback and reloads itself
    page.wait_for_selector("#result[data-status=graded]", timeout=30_000)
    assert page.locator("#result .score").inner_text().startswith("7 / 10")
    assert GRADED["feedback"] in page.locator("#result .feedback-text").inner_text()
    assert "gpu-a" in page.locator("#result .source").inner_text()
    assert page.locator("table.criteria tbody tr").count() == 2

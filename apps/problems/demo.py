"""Demo problems for each zone (manage.py seed_demo calls `seed(tenant)` for every app of
the zone type that has a demo module, after apps.learning's people exist): one problem of
each type on the zone's field, published, and — when the zone has a demo student — a graded
choice answer and an essay with its rubric feedback, so the review queue and the progress
page have something to show. Safe to run again (problems are found by title)."""

from __future__ import annotations

from collections.abc import Iterator

from django.db import transaction

from .models import Problem, Submission

COMMON = [
    {
        "kind": "choice",
        "title": "이차방정식의 근",
        "statement": "방정식 $x^2 - 5x + 6 = 0$ 의 두 근의 합은?",
        "topic": "수학",
        "tags": ["이차방정식"],
        "choices": ["2", "3", "5", "6"],
        "correct_choice": 2,
        "points": 5,
        "explanation": "근과 계수의 관계: 두 근의 합은 $-b/a = 5$.",
    },
    {
        "kind": "short",
        "title": "물의 화학식",
        "statement": "물의 화학식을 쓰시오.",
        "topic": "과학",
        "accepted_answers": ["H2O", "H₂O"],
        "points": 5,
    },
    {
        "kind": "essay",
        "title": "광합성 설명하기",
        "statement": "식물의 **광합성**에서 필요한 재료와 만들어지는 산물을 설명하시오.",
        "topic": "과학",
        "tags": ["생명과학"],
        "rubric": [
            {
                "id": "c1",
                "criterion": "광합성의 재료를 모두 말함",
                "points": 6,
                "keywords": ["이산화탄소|CO2", "물", "빛|햇빛"],
            },
            {"id": "c2", "criterion": "광합성의 산물을 말함", "points": 4, "keywords": ["포도당|녹말", "산소"]},
        ],
    },
    {
        "kind": "code",
        "language": "python",
        "title": "리스트의 합",
        "statement": "정수 리스트 `numbers`의 합을 돌려주는 함수 `total(numbers)`를 작성하시오. `sum()`은 쓰지 마시오.",
        "topic": "코딩",
        "rubric": [
            {"id": "c1", "criterion": "함수를 정의함", "points": 3, "keywords": ["def total"]},
            {"id": "c2", "criterion": "반복문으로 더함", "points": 4, "keywords": ["for", "+="]},
            {"id": "c3", "criterion": "결과를 돌려줌", "points": 3, "keywords": ["return"]},
        ],
    },
]


def _user_with_role(role: str):
    """learning's demo login of that role (named after it), else the first holder."""
    from django.contrib.auth import get_user_model

    holders = get_user_model().objects.filter(role_assignments__role=role)
    return holders.filter(username=role).first() or holders.order_by("pk").first()


def seed(tenant) -> Iterator[tuple[str, str]]:
    from . import feedback, services

    teacher = _user_with_role("teacher")
    problems = {}
    for spec in COMMON:
        problem = Problem.objects.filter(title=spec["title"]).first()
        if problem is None:
            problem = services.create_problem(actor=teacher, status="published", **spec)
        problems[spec["kind"]] = problem
    student = _user_with_role("student")
    if student is not None and not Submission.objects.filter(student=student).exists():
        services.submit(problems["choice"], actor=student, choice=2)
        with transaction.atomic():
            essay = services.submit(
                problems["essay"], actor=student, answer_text="식물은 햇빛과 물을 이용해 포도당과 산소를 만든다."
            )
        # Written here so the demo needs no worker (the task sent after commit finds it done).
        feedback.write(essay.pk, essay.feedback_round)
    # `@app/`: on the zone's app host (seed_demo prints the URL)
    yield ((student.username if student else "student"), "@app/problems/")
    if teacher is not None:
        yield (teacher.username, "@app/problems/review/")

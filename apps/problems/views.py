"""The problems pages on the zone's app host (server-rendered, Korean first).

Students: the problem list by topic, a problem with its answer form and their own
submissions, a submission with its feedback (it updates itself over `ws/problems/` when
the feedback arrives), their progress. Teachers: write problems and rubrics, the review
queue of their students' submissions, and the override form. Every action calls the same
services as the API, in the same scopes; the AI limit applies to the pages too."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from apps.accounts.permissions import has_permission
from apps.accounts.scoping import visible_to
from apps.core.ratelimit import AiAddressRateThrottle, AiRateThrottle
from apps.learning.rendering import markdown

from . import services
from .models import Problem, Progress, Submission
from .scopes import may_edit


def render_markdown(text: str) -> str:
    """learning's renderer (raw HTML escaped, script links refused): statements read like items."""
    return mark_safe(markdown(text))  # noqa: S308 (markdown-it escapes raw HTML)


def _need(request, perm: str) -> None:
    if not has_permission(request.user, perm):
        raise PermissionDenied


def _problems(request):
    rows = visible_to(Problem.objects.all(), request.user, "problem:read")
    if not has_permission(request.user, "problem:update"):
        rows = rows.filter(status=Problem.Status.PUBLISHED)
    return rows


def _visible_problem(request, pk: int) -> Problem:
    problem = _problems(request).filter(pk=pk).first()
    if problem is None:
        raise Http404
    return problem


def _ai_allowed(request) -> bool:
    """The AI limit (10 a minute per user, shared with every AI feature)."""
    return all(throttle().allow_request(request, None) for throttle in (AiRateThrottle, AiAddressRateThrottle))


def _errors(request, exc: ValidationError) -> None:
    for field, errors in exc.message_dict.items() if hasattr(exc, "error_dict") else [("", exc.messages)]:
        for message in errors:
            messages.error(request, f"{field}: {message}" if field and field != "__all__" else message)


@login_required
def problem_list(request):
    _need(request, "problem:read")
    rows = _problems(request)
    if topic := request.GET.get("topic", "").strip():
        rows = rows.filter(topic=topic)
    page = Paginator(rows.order_by("topic", "id"), 50).get_page(request.GET.get("page"))
    progress = visible_to(Progress.objects.filter(student=request.user), request.user, "progress:read")
    return render(
        request,
        "problems/list.html",
        {
            "page": page,
            "topic": topic,
            "topics": _problems(request).order_by("topic").values_list("topic", flat=True).distinct(),
            "may_write": has_permission(request.user, "problem:create"),
            "may_review": has_permission(request.user, "submission:review"),
            "progress": progress,
        },
    )


@login_required
def problem_page(request, pk: int):
    _need(request, "problem:read")
    problem = _visible_problem(request, pk)
    may_answer = has_permission(request.user, "submission:create") and problem.status == Problem.Status.PUBLISHED
    if request.method == "POST":
        if not may_answer:
            raise PermissionDenied
        if problem.needs_ai and not _ai_allowed(request):
            messages.error(request, _("Too many AI requests: wait a minute and try again."))
            return render(request, "problems/problem.html", _problem_context(request, problem, may_answer), status=429)
        choice = request.POST.get("choice")
        try:
            submission = services.submit(
                problem,
                actor=request.user,
                answer_text=request.POST.get("answer_text", ""),
                choice=int(choice) if choice not in (None, "") and choice.isdigit() else None,
                idempotency_key=request.POST.get("idempotency_key") or None,
            )
        except ValidationError as exc:
            _errors(request, exc)
            return render(request, "problems/problem.html", _problem_context(request, problem, may_answer), status=400)
        return redirect("problems:submission", pk=submission.pk)
    return render(request, "problems/problem.html", _problem_context(request, problem, may_answer))


def _problem_context(request, problem: Problem, may_answer: bool) -> dict:
    import uuid

    mine = Submission.objects.filter(problem=problem, student=request.user).order_by("-submitted_at")[:20]
    return {
        "problem": problem,
        "statement": render_markdown(problem.statement),
        "may_answer": may_answer,
        "may_edit": may_edit(problem, request.user),
        "mine": mine,
        "idempotency_key": uuid.uuid4().hex,
    }


@login_required
def submission_page(request, pk: int):
    _need(request, "submission:read")
    rows = visible_to(Submission.objects.select_related("problem", "student"), request.user, "submission:read")
    submission = rows.filter(pk=pk).distinct().first()
    if submission is None:
        raise Http404
    may_review = has_permission(request.user, "submission:review")
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "review" and may_review:
                scores = []
                for criterion in submission.problem.rubric:
                    value = request.POST.get(f"criterion_{criterion['id']}", "").strip()
                    if value:
                        if not value.isdigit():
                            raise services.invalid(**{f"criterion_{criterion['id']}": _("A whole number.")})
                        scores.append({"id": criterion["id"], "score": int(value)})
                score = request.POST.get("score", "").strip()
                if not score.isdigit():
                    raise services.invalid(score=_("A whole number."))
                services.override(
                    submission,
                    actor=request.user,
                    score=int(score),
                    criteria=scores,
                    comment=request.POST.get("comment", ""),
                    request=request,
                )
                messages.success(request, _("The score is saved."))
            elif action == "feedback" and (submission.student_id == request.user.pk or may_review):
                if not _ai_allowed(request):
                    messages.error(request, _("Too many AI requests: wait a minute and try again."))
                    return redirect("problems:submission", pk=pk)
                services.request_feedback(submission, actor=request.user)
            else:
                raise PermissionDenied
        except ValidationError as exc:
            _errors(request, exc)
        return redirect("problems:submission", pk=pk)
    feedback = list(submission.feedback.order_by("-created_at", "-id"))
    return render(
        request,
        "problems/submission.html",
        {
            "submission": submission,
            "problem": submission.problem,
            "statement": render_markdown(submission.problem.statement),
            "latest": feedback[0] if feedback else None,
            "earlier": feedback[1:],
            "reviews": submission.reviews.select_related("reviewer").order_by("-created_at", "-id"),
            "may_review": may_review,
            "may_ask": submission.problem.needs_ai
            and submission.status != Submission.Status.PENDING
            and (submission.student_id == request.user.pk or may_review),
            "own": submission.student_id == request.user.pk,
        },
    )


@login_required
def review_queue(request):
    _need(request, "submission:review")
    rows = visible_to(Submission.objects.select_related("problem", "student"), request.user, "submission:read")
    reviewed = request.GET.get("reviewed") == "1"
    rows = rows.filter(reviewed=reviewed).exclude(status=Submission.Status.PENDING).distinct()
    if request.GET.get("kind") in Problem.Kind.values:
        rows = rows.filter(problem__kind=request.GET["kind"])
    page = Paginator(rows.order_by("submitted_at", "id"), 50).get_page(request.GET.get("page"))
    return render(request, "problems/review.html", {"page": page, "reviewed": reviewed})


@login_required
def progress_page(request):
    _need(request, "progress:read")
    rows = visible_to(Progress.objects.select_related("student"), request.user, "progress:read").distinct()
    page = Paginator(rows.order_by("student__username", "topic"), 100).get_page(request.GET.get("page"))
    return render(request, "problems/progress.html", {"page": page})


FORM_FIELDS = ("kind", "title", "statement", "topic", "status", "language", "explanation")


def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def parse_rubric(text: str) -> list[dict]:
    """One criterion per line: `criterion | points | keyword, keyword|alternative, …`."""
    rubric = []
    for number, line in enumerate(_lines(text), start=1):
        parts = [part.strip() for part in line.split(" | ")]
        if len(parts) < 2 or not parts[1].isdigit():
            raise services.invalid(
                rubric=_("Line %(n)d: write “criterion | points | keyword, keyword”.") % {"n": number}
            )
        keywords = [k.strip() for k in (parts[2] if len(parts) > 2 else "").split(",") if k.strip()]
        rubric.append({"id": f"c{number}", "criterion": parts[0], "points": int(parts[1]), "keywords": keywords})
    return rubric


def rubric_text(rubric: list[dict]) -> str:
    return "\n".join(f"{c['criterion']} | {c['points']} | {', '.join(c.get('keywords') or [])}" for c in rubric)


def _form_data(post) -> dict:
    data = {name: post.get(name, "") for name in FORM_FIELDS}
    data["tags"] = [t.strip() for t in post.get("tags", "").split(",") if t.strip()]
    kind = data["kind"]
    if kind == Problem.Kind.CHOICE:
        data["choices"] = _lines(post.get("choices", ""))
        correct = post.get("correct_choice", "").strip()
        data["correct_choice"] = int(correct) - 1 if correct.isdigit() and int(correct) > 0 else None
    elif kind == Problem.Kind.SHORT:
        data["accepted_answers"] = _lines(post.get("accepted_answers", ""))
    elif kind in Problem.RUBRIC:
        data["rubric"] = parse_rubric(post.get("rubric", ""))
    points = post.get("points", "").strip()
    if points:
        data["points"] = int(points) if points.isdigit() else -1
    return data


@login_required
def problem_form(request, pk: int | None = None):
    problem = None
    if pk is not None:
        _need(request, "problem:update")
        problem = _visible_problem(request, pk)
        if not may_edit(problem, request.user):
            raise PermissionDenied
    else:
        _need(request, "problem:create")
    values = {}
    if request.method == "POST":
        values = request.POST
        try:
            data = _form_data(request.POST)
            if problem is None:
                problem = services.create_problem(actor=request.user, **data)
            else:
                problem = services.update_problem(problem, actor=request.user, **data)
        except ValidationError as exc:
            _errors(request, exc)
            return render(request, "problems/form.html", _form_context(problem, values), status=400)
        messages.success(request, _("The problem is saved."))
        return redirect("problems:problem", pk=problem.pk)
    return render(request, "problems/form.html", _form_context(problem, values))


def _form_context(problem: Problem | None, posted) -> dict:
    if posted:
        values = {k: posted.get(k, "") for k in (*FORM_FIELDS, "tags", "choices", "correct_choice", "points")}
        values |= {"accepted_answers": posted.get("accepted_answers", ""), "rubric": posted.get("rubric", "")}
    elif problem is not None:
        values = {name: getattr(problem, name) for name in FORM_FIELDS}
        values |= {
            "tags": ", ".join(problem.tags),
            "choices": "\n".join(problem.choices),
            "correct_choice": "" if problem.correct_choice is None else problem.correct_choice + 1,
            "accepted_answers": "\n".join(problem.accepted_answers),
            "rubric": rubric_text(problem.rubric),
            "points": problem.points,
        }
    else:
        values = {"kind": "essay", "status": "draft", "points": 10}
    return {"problem": problem, "values": values, "kinds": Problem.Kind.choices, "statuses": Problem.Status.choices}

"""Every write of the problems app (DESIGN.md, convention 2): keyword-only `actor=`, one
transaction, its ledger event in that transaction, broadcasts and tasks after commit.

    problem = create_problem(actor=teacher, kind="essay", title=..., statement=..., topic=...,
                             rubric=[{"id": "c1", "criterion": "...", "points": 5, "keywords": [...]}])
    submission = submit(problem, actor=student, answer_text="...")
        # choice / short: graded now (Feedback source=key)
        # essay / code: pending; the feedback task runs after commit on gpu.llm
    override(submission, actor=teacher, score=7, comment="...")   # audited, progress recomputed
"""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from apps.audit import services as audit
from apps.core import afterwork
from apps.core.bulk import update_rows
from apps.core.services import invalid, record

from . import events, grading
from .models import Feedback, Problem, Progress, Review, Submission

log = logging.getLogger(__name__)

# Row locks here are FOR NO KEY UPDATE of the row itself (`no_key=True`, `of=("self",)`):
# a plain FOR UPDATE, or one over a join, also blocks the foreign-key checks other
# transactions run at COMMIT (Django's keys are deferred) while they hold the ledger's
# chain lock, and the two wait for each other (bench/problems found that deadlock).

ANSWER_KEY_LABEL = gettext_noop("Answer key")  # stored in English, translated where shown
MAX_ANSWER_CHARS = 20_000
MAX_CHOICES = 10
MAX_CRITERIA = 12
FIELDS = (
    "kind",
    "title",
    "statement",
    "topic",
    "tags",
    "status",
    "choices",
    "correct_choice",
    "accepted_answers",
    "rubric",
    "points",
    "language",
    "explanation",
)


# ---------------------------------------------------------------------------- problems


def _strings(value, field: str, *, limit: int = 50, each: int = 500) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise invalid(**{field: _("A list of texts is required.")})
    if len(value) > limit:
        raise invalid(**{field: _("At most %(n)d entries.") % {"n": limit}})
    out = [v.strip() for v in value]
    if any(not v or len(v) > each for v in out):
        raise invalid(**{field: _("Every entry must be a non-empty text of at most %(n)d characters.") % {"n": each}})
    return out


def clean_rubric(rubric) -> list[dict]:
    if not isinstance(rubric, list) or not rubric:
        raise invalid(rubric=_("An essay or code problem needs at least one rubric criterion."))
    if len(rubric) > MAX_CRITERIA:
        raise invalid(rubric=_("At most %(n)d criteria.") % {"n": MAX_CRITERIA})
    out, seen = [], set()
    for i, row in enumerate(rubric):
        field = f"rubric[{i}]"
        if not isinstance(row, dict):
            raise invalid(**{field: _("A criterion is an object with criterion, points and keywords.")})
        text = row.get("criterion")
        if not isinstance(text, str) or not text.strip() or len(text) > 300:
            raise invalid(**{f"{field}.criterion": _("Describe the criterion (at most 300 characters).")})
        points = row.get("points")
        if not isinstance(points, int) or isinstance(points, bool) or not 1 <= points <= 100:
            raise invalid(**{f"{field}.points": _("Points must be a whole number from 1 to 100.")})
        cid = str(row.get("id") or f"c{i + 1}").strip()[:20]
        if cid in seen:
            raise invalid(**{f"{field}.id": _("Criterion ids must be unique.")})
        seen.add(cid)
        keywords = _strings(row.get("keywords") or [], f"{field}.keywords", limit=30, each=100)
        out.append({"id": cid, "criterion": text.strip(), "points": points, "keywords": keywords})
    return out


def clean_problem(data: dict, current: Problem | None = None) -> dict:
    """The problem's fields, checked together (an error names the field); `current` for an edit."""
    unknown = set(data) - set(FIELDS)
    if unknown:
        raise invalid(**{sorted(unknown)[0]: _("Unknown field.")})
    merged = {f: getattr(current, f) for f in FIELDS} if current is not None else {}
    merged.update(data)
    kind = merged.get("kind")
    if kind not in Problem.Kind.values:
        raise invalid(kind=_("One of: %(kinds)s.") % {"kinds": ", ".join(Problem.Kind.values)})
    if current is not None and "kind" in data and data["kind"] != current.kind and current.submissions.exists():
        raise invalid(kind=_("The type of a problem with submissions cannot change."))
    for field, limit in (("title", 200), ("statement", 20_000), ("topic", 100)):
        value = merged.get(field)
        if not isinstance(value, str) or not value.strip():
            raise invalid(**{field: _("This field is required.")})
        if len(value) > limit:
            raise invalid(**{field: _("At most %(n)d characters.") % {"n": limit}})
        merged[field] = value.strip()
    merged["tags"] = _strings(merged.get("tags") or [], "tags", limit=20, each=50)
    status = merged.get("status") or Problem.Status.DRAFT
    if status not in Problem.Status.values:
        raise invalid(status=_("One of: %(s)s.") % {"s": ", ".join(Problem.Status.values)})
    merged["status"] = status
    for field in ("language", "explanation"):
        if not isinstance(merged.get(field) or "", str):
            raise invalid(**{field: _("A text is required.")})
        merged[field] = (merged.get(field) or "").strip()
    if len(merged["language"]) > 30:
        raise invalid(language=_("At most %(n)d characters.") % {"n": 30})
    points = merged.get("points", 10)
    if not isinstance(points, int) or isinstance(points, bool) or not 1 <= points <= 100:
        raise invalid(points=_("Points must be a whole number from 1 to 100."))
    merged["points"] = points
    merged.setdefault("choices", [])
    merged.setdefault("accepted_answers", [])
    merged.setdefault("rubric", [])
    merged.setdefault("correct_choice", None)
    if kind == Problem.Kind.CHOICE:
        choices = _strings(merged.get("choices") or [], "choices", limit=MAX_CHOICES)
        if len(choices) < 2:
            raise invalid(choices=_("A multiple-choice problem needs at least two choices."))
        correct = merged.get("correct_choice")
        if not isinstance(correct, int) or isinstance(correct, bool) or not 0 <= correct < len(choices):
            raise invalid(correct_choice=_("The index (from 0) of one of the choices."))
        merged.update(choices=choices, accepted_answers=[], rubric=[])
    elif kind == Problem.Kind.SHORT:
        accepted = _strings(merged.get("accepted_answers") or [], "accepted_answers", limit=20, each=200)
        if not accepted:
            raise invalid(accepted_answers=_("A short-answer problem needs at least one accepted answer."))
        merged.update(accepted_answers=accepted, choices=[], correct_choice=None, rubric=[])
    else:
        merged.update(rubric=clean_rubric(merged.get("rubric")), choices=[], correct_choice=None, accepted_answers=[])
        if sum(c["points"] for c in merged["rubric"]) > 1000:
            raise invalid(rubric=_("The rubric's points add up to more than 1000."))
    return merged


def _organisation_for(actor, organisation):
    """The problem's school: the one given (the actor must be its staff, unless the actor
    writes for the whole zone), else the actor's only school, else none (the zone's own)."""
    from apps.learning.models import Organisation, StaffMembership

    staff_of = (
        set(StaffMembership.objects.filter(user=actor).values_list("organisation_id", flat=True))
        if getattr(actor, "is_authenticated", False)
        else set()
    )
    if organisation is None:
        return Organisation.objects.get(pk=staff_of.pop()) if len(staff_of) == 1 else None
    pk = organisation.pk if isinstance(organisation, Organisation) else organisation
    found = Organisation.objects.filter(pk=pk).first() if isinstance(pk, int) and not isinstance(pk, bool) else None
    if found is None or (staff_of and found.pk not in staff_of):
        raise invalid(organisation=_("Not an organisation you teach in."))
    return found


@transaction.atomic
def create_problem(*, actor, organisation=None, **data) -> Problem:
    fields = clean_problem(data)
    problem = Problem.objects.create(
        author=actor if getattr(actor, "is_authenticated", False) else None,
        organisation=_organisation_for(actor, organisation),
        **fields,
    )
    record(
        "problem.created",
        problem,
        actor=actor,
        type=problem.kind,
        topic=problem.topic,
        status=problem.status,
        organisation=problem.organisation_id,
    )
    return problem


@transaction.atomic
def update_problem(problem: Problem, *, actor, **data) -> Problem:
    """Change a problem; a signed-in actor must be allowed to edit this one (scopes.may_edit:
    a teacher their own and their schools' problems). System actors (None) are not asked."""
    from .scopes import may_edit

    if getattr(actor, "is_authenticated", False) and not may_edit(problem, actor):
        raise PermissionDenied(_("You may change only the problems you wrote or your school's."))
    problem = Problem.objects.select_for_update(no_key=True).get(pk=problem.pk)
    fields = clean_problem(data, current=problem)
    changed = sorted(f for f in FIELDS if getattr(problem, f) != fields[f])
    for field in FIELDS:
        setattr(problem, field, fields[field])
    problem.save()
    record("problem.updated", problem, actor=actor, fields=changed, status=problem.status)
    return problem


# ---------------------------------------------------------------------------- submissions


@transaction.atomic
def submit(
    problem: Problem,
    *,
    actor,
    answer_text: str = "",
    choice: int | None = None,
    idempotency_key: str | None = None,
) -> Submission:
    """The student's answer, immutable from here on. Choice and short answers are graded
    now; essays and code get their feedback from the task sent after commit."""
    if idempotency_key:
        existing = Submission.objects.filter(student=actor, idempotency_key=idempotency_key).first()
        if existing is not None:
            return existing
    # Read fresh, not locked: every student of a class answering at once must not queue on
    # the problem's row. An edit committing meanwhile grades later answers, as it should.
    problem = Problem.objects.get(pk=problem.pk)
    if problem.status != Problem.Status.PUBLISHED:
        raise invalid(problem=_("This problem is not open for answers."))
    answer_text = answer_text if isinstance(answer_text, str) else ""
    if len(answer_text) > MAX_ANSWER_CHARS:
        raise invalid(answer_text=_("At most %(n)d characters.") % {"n": MAX_ANSWER_CHARS})
    if problem.kind == Problem.Kind.CHOICE:
        if not isinstance(choice, int) or isinstance(choice, bool) or not 0 <= choice < len(problem.choices):
            raise invalid(choice=_("Choose one of the %(n)d choices (from 0).") % {"n": len(problem.choices)})
        answer_text = problem.choices[choice]
    else:
        if choice is not None:
            raise invalid(choice=_("Only a multiple-choice problem takes a choice."))
        if not answer_text.strip():
            raise invalid(answer_text=_("The answer is empty."))
    submission = Submission.objects.create(
        problem=problem,
        student=actor,
        answer_text=answer_text,
        choice=choice,
        max_score=problem.max_score,
        status=Submission.Status.PENDING,
        feedback_round=1 if problem.needs_ai else 0,
        idempotency_key=idempotency_key or None,
    )
    record("problem.submitted", submission, actor=actor, problem=problem.pk, type=problem.kind)
    if problem.kind == Problem.Kind.CHOICE:
        graded = grading.grade_choice(choice, problem.correct_choice, problem.points)
    elif problem.kind == Problem.Kind.SHORT:
        graded = grading.grade_short(answer_text, problem.accepted_answers, problem.points)
    else:
        _send_feedback_task(submission)
        events.submission_changed(submission)
        return submission
    _store(submission, graded, source=Feedback.Source.KEY, backend="key", label=ANSWER_KEY_LABEL)
    return submission


def _send_feedback_task(submission: Submission) -> None:
    from . import tasks

    tasks.feedback.apply_async_on_commit((submission.pk, submission.feedback_round))


@transaction.atomic
def request_feedback(submission: Submission, *, actor) -> Submission:
    """Ask for AI feedback again (after a failure, or a rubric the teacher improved): a new
    round. The score counts from it only while no teacher has reviewed the submission."""
    submission = Submission.objects.select_for_update(no_key=True).get(pk=submission.pk)
    if not submission.problem.needs_ai:
        raise invalid(submission=_("Only essays and code get AI feedback."))
    if submission.status == Submission.Status.PENDING:
        raise invalid(submission=_("Feedback is already being written."))
    submission.feedback_round += 1
    submission.status = Submission.Status.PENDING  # about the feedback; a teacher's score still stands
    submission.save(update_fields=["feedback_round", "status"])
    record("problem.feedback.requested", submission, actor=actor, round=submission.feedback_round)
    _send_feedback_task(submission)
    events.submission_changed(submission)
    return submission


def _store(
    submission: Submission,
    graded: grading.Graded,
    *,
    source: str,
    backend: str,
    label,
    note: str = "",
    job=None,
) -> Feedback:
    """Inside the caller's transaction, the submission locked or new."""
    feedback = Feedback.objects.create(
        submission=submission,
        source=source,
        backend=backend[:120],
        backend_label=str(label)[:200],
        score=graded.score,
        max_score=graded.max_score,
        criteria=graded.criteria,
        text=graded.text,
        note=note[:300],
        job=job,
    )
    fields = ["status"]
    submission.status = Submission.Status.GRADED
    if not submission.reviewed:  # a teacher's score stands until the teacher changes it
        submission.score = graded.score
        submission.graded_by = source
        fields += ["score", "graded_by"]
    submission.save(update_fields=fields)
    record(
        "problem.feedback.stored",
        submission,
        actor=None,
        feedback=feedback.pk,
        source=source,
        backend=feedback.backend,
        score=graded.score,
        max_score=graded.max_score,
    )
    recompute_progress(submission.student_id, submission.problem.topic)
    events.submission_changed(submission)
    return feedback


@transaction.atomic
def store_feedback(
    submission_id: int,
    feedback_round: int,
    graded: grading.Graded,
    *,
    source: str,
    backend: str,
    label,
    note: str = "",
    job=None,
) -> Feedback | None:
    """Store one round's feedback, once: None if that round already has its feedback or a
    newer round was asked for (a redelivered or late task stores nothing)."""
    submission = (
        Submission.objects.select_for_update(of=("self",), no_key=True).select_related("problem").get(pk=submission_id)
    )
    if submission.feedback_round != feedback_round or submission.status != Submission.Status.PENDING:
        return None
    return _store(submission, graded, source=source, backend=backend, label=label, note=note, job=job)


@transaction.atomic
def mark_feedback_failed(submission_id: int, feedback_round: int, *, error: str) -> None:
    submission = Submission.objects.select_for_update(no_key=True).get(pk=submission_id)
    if submission.feedback_round != feedback_round or submission.status != Submission.Status.PENDING:
        return
    submission.status = Submission.Status.FAILED
    submission.save(update_fields=["status"])
    record("problem.feedback.failed", submission, actor=None, round=feedback_round, error=error[:300])
    events.submission_changed(submission)


# ---------------------------------------------------------------------------- teacher review


@transaction.atomic
def override(
    submission: Submission,
    *,
    actor,
    score: int,
    criteria: list[dict] | None = None,
    comment: str = "",
    request=None,
) -> Review:
    """A teacher's score for the submission (confirming the current one, or overriding it).
    Written to the audit log and the ledger; the student's progress follows."""
    submission = (
        Submission.objects.select_for_update(of=("self",), no_key=True).select_related("problem").get(pk=submission.pk)
    )
    if not isinstance(score, int) or isinstance(score, bool) or not 0 <= score <= submission.max_score:
        raise invalid(score=_("A whole number from 0 to %(n)d.") % {"n": submission.max_score})
    if submission.status == Submission.Status.PENDING:
        raise invalid(submission=_("Wait for the feedback before reviewing."))
    if not isinstance(comment, str) or len(comment) > 4000:
        raise invalid(comment=_("At most %(n)d characters.") % {"n": 4000})
    rows = []
    if criteria:
        rubric = {c["id"]: c for c in submission.problem.rubric}
        if not isinstance(criteria, list):
            raise invalid(criteria=_("A list of {id, score} objects is required."))
        for i, row in enumerate(criteria):
            cid = str(row.get("id")) if isinstance(row, dict) else ""
            if cid not in rubric:
                raise invalid(**{f"criteria[{i}].id": _("Not a criterion of this problem's rubric.")})
            value, points = row.get("score"), rubric[cid]["points"]
            if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= points:
                raise invalid(**{f"criteria[{i}].score": _("A whole number from 0 to %(n)d.") % {"n": points}})
            rows.append({"id": cid, "criterion": rubric[cid]["criterion"], "points": points, "score": value})
        if sum(r["score"] for r in rows) != score and len(rows) == len(rubric):
            raise invalid(score=_("The criteria's scores add up to %(n)d.") % {"n": sum(r["score"] for r in rows)})
    review = Review.objects.create(
        submission=submission,
        reviewer=actor,
        previous_score=submission.score,
        previous_graded_by=submission.graded_by,
        score=score,
        criteria=rows,
        comment=comment.strip(),
    )
    submission.score = score
    submission.graded_by = Submission.GradedBy.TEACHER
    submission.reviewed = True
    submission.status = Submission.Status.GRADED
    submission.save(update_fields=["score", "graded_by", "reviewed", "status"])
    details = {"previous_score": review.previous_score, "previous_graded_by": review.previous_graded_by}
    details |= {"score": score, "review": review.pk}
    audit.record(
        "submission.score.overridden" if review.overrides else "submission.score.confirmed",
        actor=actor,
        resource=submission,
        request=request,
        details=details,
    )
    record("problem.reviewed", submission, actor=actor, **details)
    recompute_progress(submission.student_id, submission.problem.topic)
    events.submission_changed(submission)
    return review


# ---------------------------------------------------------------------------- progress


def _exam_answers(student_id: int, topics: list[str]) -> dict[str, tuple[int, int, object]]:
    """Scored answers of the student's finished exams on items of each content area in
    `topics`: {topic: (answered, correct, last answered)}, in one query."""
    from django.db.models import Count, Q

    from apps.learning.models import Attempt, Response

    rows = (
        Response.objects.filter(
            attempt__student__user_id=student_id,
            attempt__status__in=[Attempt.Status.SUBMITTED, Attempt.Status.TIMED_OUT],
            scored=True,
            item__area__in=topics,
        )
        .values("item__area")
        .annotate(n=Count("pk"), correct=Count("pk", filter=Q(correct=True)), last=Max("answered_at"))
    )
    return {row["item__area"]: (row["n"], row["correct"], row["last"]) for row in rows}


def record_exam_progress(attempt) -> None:
    """learning's attempt-finished hook (apps.learning.services.hooks.FINISHED, in the
    finishing transaction): once it commits, the student's progress in each content area
    the exam touched, on the process's background thread (apps.core.afterwork) — the
    recompute was half of an exam's last answer, which waited for it. Progress is derived
    from the responses and submissions alone: `manage.py recompute_progress` rebuilds it
    should a process die between the commit and the recompute."""
    afterwork.defer("problems.exam_progress", progress_after_exams, attempt.pk)


def progress_after_exams(attempt_ids: list[int]) -> None:
    """The progress of the finished attempts' students in the content areas they touched:
    one recompute (and one transaction) per student."""
    from apps.learning.models import Response

    areas: dict[int, set[str]] = {}
    for student, area in (
        Response.objects.filter(attempt_id__in=attempt_ids, scored=True)
        .exclude(item__area="")
        .values_list("attempt__student__user_id", "item__area")
        .distinct()
    ):
        areas.setdefault(student, set()).add(area[:100])
    for student, topics in sorted(areas.items()):
        with transaction.atomic():
            recompute_topics(student, sorted(topics))


def rebuild_progress() -> int:
    """Every student's progress in every topic they have a submission, a finished exam's
    scored answer or a progress row in, recomputed (the repair for a recompute lost with its
    process, see `record_exam_progress`). Returns the rows recomputed."""
    from apps.learning.models import Attempt, Response

    topics: dict[int, set[str]] = {}
    sources = [
        Submission.objects.values_list("student_id", "problem__topic"),
        Response.objects.filter(scored=True, attempt__status__in=[Attempt.Status.SUBMITTED, Attempt.Status.TIMED_OUT])
        .exclude(item__area="")
        .values_list("attempt__student__user_id", "item__area"),
        Progress.objects.values_list("student_id", "topic"),
    ]
    for rows in sources:
        for student, topic in rows.distinct():
            topics.setdefault(student, set()).add(topic[:100])
    done = 0
    for student, theirs in sorted(topics.items()):
        with transaction.atomic():
            done += len(recompute_topics(student, sorted(theirs)))
    return done


def recompute_progress(student_id: int, topic: str) -> Progress:
    """A student's standing in a topic: `recompute_topics` for one."""
    return recompute_topics(student_id, [topic])[topic]


PROGRESS_FIELDS = [
    "attempted",
    "solved",
    "points",
    "max_points",
    "exam_answered",
    "exam_correct",
    "mastery",
    "last_activity",
]


def recompute_topics(student_id: int, topics: list[str]) -> dict[str, Progress]:
    """A student's standing in each topic. Problems: per problem, the latest graded
    submission counts (points, attempted, solved at 60 %). Exams: the scored answers of
    finished attempts on items of that content area. Mastery is the problems' share of
    points, or the exams' share of correct answers, or the mean of the two when there are
    both. Inside the caller's transaction; a fixed number of queries however many topics
    (an exam's finish recomputes every content area it touched)."""
    topics = sorted(set(topics))
    if not topics:
        return {}
    # Two recomputes of one student and topic at once: the rows are made once, then locked
    # (in topic order: two recomputes of overlapping topics cannot deadlock) before anything
    # is read, so the later one reads what the earlier one's commit left.
    Progress.objects.bulk_create([Progress(student_id=student_id, topic=t) for t in topics], ignore_conflicts=True)
    rows = {
        p.topic: p
        for p in Progress.objects.select_for_update(no_key=True)
        .filter(student_id=student_id, topic__in=topics)
        .order_by("topic")
    }
    mine = Submission.objects.filter(student_id=student_id, problem__topic__in=topics)
    attempted: dict[str, int] = dict.fromkeys(topics, 0)
    last_activity: dict[str, object] = {}
    for row in mine.values("problem__topic", "problem").annotate(last=Max("submitted_at")):
        topic = row["problem__topic"]
        attempted[topic] += 1
        last_activity[topic] = max(last_activity[topic], row["last"]) if topic in last_activity else row["last"]
    solved: dict[str, int] = dict.fromkeys(topics, 0)
    points: dict[str, int] = dict.fromkeys(topics, 0)
    out_of: dict[str, int] = dict.fromkeys(topics, 0)
    graded = mine.filter(status=Submission.Status.GRADED, score__isnull=False).order_by(
        "problem_id", "-submitted_at", "-id"
    )
    seen = set()
    for row in graded.values("problem__topic", "problem_id", "score", "max_score"):
        if row["problem_id"] in seen:
            continue
        seen.add(row["problem_id"])
        topic = row["problem__topic"]
        points[topic] += row["score"]
        out_of[topic] += row["max_score"]
        if row["max_score"] and row["score"] * 100 >= row["max_score"] * grading.PASS_PERCENT:
            solved[topic] += 1
    exams = _exam_answers(student_id, topics)
    for topic, progress in rows.items():
        answered, correct, last_answer = exams.get(topic, (0, 0, None))
        shares = [points[topic] / out_of[topic]] if out_of[topic] else []
        shares += [correct / answered] if answered else []
        progress.attempted = attempted[topic]
        progress.solved = solved[topic]
        progress.points = points[topic]
        progress.max_points = out_of[topic]
        progress.exam_answered = answered
        progress.exam_correct = correct
        progress.mastery = round(100 * sum(shares) / len(shares)) if shares else 0
        moments = [m for m in (last_activity.get(topic), last_answer) if m is not None]
        progress.last_activity = max(moments) if moments else timezone.now()
    update_rows(list(rows.values()), PROGRESS_FIELDS)
    return rows

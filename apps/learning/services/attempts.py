"""Attempts (issue 14, item 4): start, the current item, answer, submit, time-out.

- **State.** The attempt row holds the engine's state (`Attempt.state`: {"cat": CATState,
  "order": fixed form's item ids}) and a `version` bumped by every write; it is the truth.
  After each commit the state in progress is copied to Redis (`cached_state`), so a web
  process serving "what is my current item" reads the small row and the Redis copy
  instead of the state column; a missing or older copy falls back to the row.
- **One active attempt per student and exam** is a partial UNIQUE index; starting again
  returns the attempt in progress (resume after a lost connection).
- **Answers are immutable**: one Response row per item, append-only in the database, and
  only the item being asked may be answered (the engine's `pending`).
- **Timer.** `deadline` = start + the exam's time limit (+ time a live room's teacher
  added). Every call checks it first (`expire_if_due`, lazily) and a Celery task sent on
  commit for the deadline does the same; both are idempotent, whichever runs first submits
  it as timed out.
- Every event (started, answered, submitted, timed out) is one ledger event in the same
  transaction and one audit-log entry. The ledger events are appended deferred (sealed
  into the tenant's chain after commit, apps.ledger.services): one tenant's examinees
  never wait for each other's commits.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.audit.services import entry as audit_entry
from apps.audit.services import record as audit
from apps.core import afterwork
from apps.core.bulk import write_together
from apps.core.hotread import JoinedRead
from apps.core.services import deferred_event, invalid, record, record_deferred

from ..cat import CATState
from ..models import Attempt, Enrollment, Exam, Item, Response, Student
from ..rendering import markdown
from . import items as item_services

CACHE_TTL = 6 * 3600


def _key(attempt_id: int) -> str:
    return f"learning:attempt:{attempt_id}"


# ---------------------------------------------------------------------------- state


def load_state(attempt: Attempt) -> tuple[CATState, list[int] | None]:
    data = attempt.state or {}
    return CATState.from_dict(data["cat"]), data.get("order")


def _dump(state: CATState, order: list[int] | None) -> dict[str, Any]:
    data: dict[str, Any] = {"cat": state.to_dict()}
    if order is not None:
        data["order"] = order
    return data


def _cache_after_commit(attempt: Attempt) -> None:
    """The Redis copy of the attempt's state, written once the change commits on the
    process's background thread (apps.core.afterwork), not in the answer's response time: a
    reader checks the copy's version against the row's and falls back to the row, so a copy
    written late, or never, is only a miss."""
    afterwork.defer(
        "learning.attempt_copies", write_copies, (attempt.pk, attempt.version, attempt.status, attempt.state)
    )


def write_copies(copies: list[tuple[int, int, str, Any]]) -> None:
    """Each attempt's newest (id, version, status, state) in the Redis copy, in one round
    trip: an active attempt's state kept, a finished one's dropped."""
    newest: dict[int, tuple[int, str, Any]] = {}
    for pk, version, status, state in copies:
        if pk not in newest or version >= newest[pk][0]:
            newest[pk] = (version, status, state)
    keep = {
        _key(pk): {"version": version, "status": status, "state": state}
        for pk, (version, status, state) in newest.items()
        if status == Attempt.Status.ACTIVE
    }
    gone = [_key(pk) for pk, (_version, status, _state) in newest.items() if status != Attempt.Status.ACTIVE]
    if keep:
        cache.set_many(keep, CACHE_TTL)
    if gone:
        cache.delete_many(gone)


def cached_state(attempt: Attempt) -> dict[str, Any]:
    """The attempt's state: the Redis copy when it is of the row's version, else the row's
    own (loaded now if the caller deferred it)."""
    payload = cache.get(_key(attempt.pk))
    if payload and payload.get("version") == attempt.version:
        return payload["state"]
    state = Attempt.objects.filter(pk=attempt.pk).values_list("state", flat=True).get()
    if attempt.is_active:
        cache.set(_key(attempt.pk), {"version": attempt.version, "status": attempt.status, "state": state}, CACHE_TTL)
    return state


# ---------------------------------------------------------------------------- who may take what


def may_take(exam: Exam, student: Student) -> bool:
    if exam.status != Exam.Status.PUBLISHED:
        return False
    if exam.organisation_id is not None and exam.organisation_id != student.organisation_id:
        return False
    if exam.klass_id is not None:
        return Enrollment.objects.filter(klass_id=exam.klass_id, student=student, is_active=True).exists()
    return True


# ---------------------------------------------------------------------------- items as shown


def item_payload(item: Item, position: int, stem_html: str | None = None) -> dict[str, Any]:
    """What the student sees of an item: never its key or explanation. `stem_html`: the
    stem already rendered (the exam's cached bank keeps each item's)."""
    return {
        "id": item.pk,
        "position": position,
        "kind": item.kind,
        "area": item.area,
        "stem_html": markdown(item.stem) if stem_html is None else stem_html,
        "choices": list(item.choices),
        "image_url": item.image.url if item.image else None,
    }


@dataclass
class Step:
    """An attempt after a call: the item to show now (None when it is over)."""

    attempt: Attempt
    item: dict[str, Any] | None
    correct: bool | None = None

    @property
    def finished(self) -> bool:
        return not self.attempt.is_active


def _pending_payload(state: CATState, exam: Exam) -> dict[str, Any] | None:
    if state.pending is None:
        return None
    from ..engine import bank_for

    bank = bank_for(exam)
    item = bank.item(state.pending)
    return item_payload(item, len(state.items) + 1, bank.stem_html(item))


# ---------------------------------------------------------------------------- the calls


def _select_next(engine, state: CATState, order: list[int] | None):
    """Set the next pending item (None: the attempt stops; state.stop_reason says why)."""
    if order is None:
        return engine.next_item(state)
    if state.pending is not None:
        return state.pending
    position = len(state.items)
    if position >= len(order):
        state.stop_reason = state.stop_reason or "completed"
        return None
    state.pending = order[position]
    state.pending_scored = True
    return state.pending


def start(exam: Exam, student: Student, *, actor, request=None, room=None) -> tuple[Step, bool]:
    """Start the exam, or resume the attempt in progress: (step, created). In a live room
    the room's end is the deadline."""
    from ..engine import engine_for

    if not may_take(exam, student):
        raise invalid(exam=_("This exam is not open to you."))
    existing = Attempt.objects.filter(exam=exam, student=student, status=Attempt.Status.ACTIVE).first()
    if existing is not None:
        existing = expire_if_due(existing)
        if existing.is_active and room is not None and existing.room_id is None:
            # Started alone before the room: it joins the room and its clock.
            Attempt.objects.filter(pk=existing.pk).update(room=room, deadline=room.ends_at, version=F("version") + 1)
            existing.refresh_from_db()
            reschedule(existing)
        if existing.is_active:
            state, _order = load_state(existing)
            return Step(existing, _pending_payload(state, exam)), False
    engine = engine_for(exam)
    try:
        with transaction.atomic():
            state = engine.start()
            order = None
            if exam.kind == Exam.Kind.FIXED:
                order = list(engine.bank.ids)
                if exam.order == Exam.Order.SHUFFLED:
                    random.SystemRandom().shuffle(order)
            now = timezone.now()
            if room is not None:
                deadline = room.ends_at
            elif exam.time_limit_seconds:
                deadline = now + timedelta(seconds=exam.time_limit_seconds)
            else:
                deadline = None
            first = _select_next(engine, state, order)
            attempt = Attempt.objects.create(
                exam=exam,
                student=student,
                started_at=now,
                deadline=deadline,
                state=_dump(state, order),
                room=room,
                version=1,
                theta=state.theta,
                se=state.se,
            )
            if first is not None:
                item_services.count_later(served=first)
            record_deferred("learning.attempt.started", attempt, actor=actor, exam=exam.pk, student=student.pk)
            audit("learning.attempt.started", actor=actor, resource=attempt, request=request, details={"exam": exam.pk})
            _cache_after_commit(attempt)
            if deadline is not None:
                _schedule_expiry(attempt)
            _report(attempt)
            if first is None:
                _finish(attempt, engine, state, order, Attempt.Status.SUBMITTED, actor=actor, request=request)
                return Step(attempt, None), True
    except IntegrityError:
        # Another request started the same exam at the same moment: resume that one.
        existing = Attempt.objects.get(exam=exam, student=student, status=Attempt.Status.ACTIVE)
        state, _order = load_state(existing)
        return Step(existing, _pending_payload(state, exam)), False
    return Step(attempt, _pending_payload(state, exam)), True


def current(attempt: Attempt) -> Step:
    """The item being asked now (resume): the same item until it is answered."""
    attempt = expire_if_due(attempt)
    if not attempt.is_active:
        return Step(attempt, None)
    state = CATState.from_dict(cached_state(attempt)["cat"])
    return Step(attempt, _pending_payload(state, attempt.exam))


def answer(attempt: Attempt, *, item_id: int, answer: str, actor, request=None, owner=None) -> Step:
    """Record the answer to the item being asked and pick the next one.

    `owner`: the user who must be the attempt's student (the API's caller); the attempt is
    then looked up as theirs and locked in one statement compiled once (the hot path), and
    `Attempt.DoesNotExist` raised when it is not theirs. The deadline is checked on the
    locked row: a due attempt is submitted as timed out (committed) and the answer refused."""
    answer = (answer or "").strip()
    with transaction.atomic():
        if owner is not None:
            attempt = _OWN_LOCKED.one(attempt.pk, owner.pk)
        else:
            attempt = (
                Attempt.objects.select_for_update(of=("self",)).select_related("exam", "student").get(pk=attempt.pk)
            )
        expired = _expire_locked(attempt)
        if not expired:
            step = _answer_locked(attempt, item_id=item_id, answer=answer, actor=actor, request=request)
    if expired:
        raise invalid(status=_("The attempt is over (%(status)s).") % {"status": attempt.get_status_display()})
    return step


# An answer's read of its attempt (with the exam and the student), by id and the student's
# user, locked: every answer runs it, and the queryset cost four times the query.
_OWN_LOCKED = JoinedRead(Attempt, related=("exam", "student"), keys=("pk", "student__user"), lock=True)


def _answer_locked(attempt: Attempt, *, item_id: int, answer: str, actor, request=None) -> Step:
    from ..engine import bank_for

    if not attempt.is_active:
        raise invalid(status=_("The attempt is over (%(status)s).") % {"status": attempt.get_status_display()})
    if not answer:
        raise invalid(answer=_("Give an answer."))
    if len(answer) > 500:
        raise invalid(answer=_("At most 500 characters."))
    if _paused(attempt):
        raise invalid(status=_("The exam room is paused: wait for your teacher."))
    state, order = load_state(attempt)
    if state.pending is None or int(item_id) != state.pending:
        raise invalid(item=_("This is not the item being asked (it may have been answered already)."))
    bank = bank_for(attempt.exam)
    engine = bank.engine
    item = bank.item(state.pending)
    if item.kind == Item.Kind.CHOICE and not (answer.isdigit() and 1 <= int(answer) <= len(item.choices)):
        raise invalid(answer=_("Choose one of 1 to %(n)d.") % {"n": len(item.choices)})
    correct = item_services.is_correct(item, answer)
    scored = state.pending_scored
    engine.answer(state, item.pk, int(correct))
    response = Response(
        attempt=attempt,
        item=item,
        position=len(state.items),
        answer=answer,
        correct=correct,
        scored=scored,
        theta_after=state.theta,
        se_after=state.se,
    )
    attempt.n_answered += 1
    attempt.n_correct += int(correct)
    attempt.theta, attempt.se = state.theta, state.se
    following = _select_next(engine, state, order)
    item_services.count_later(answered=item.pk, correct=correct, served=following)
    entry = audit_entry(
        "learning.attempt.answered",
        actor=actor,
        resource=attempt,
        request=request,
        details={"item": item.pk, "position": len(state.items)},
    )
    if following is None:
        write_together([response, entry])
        _finish(
            attempt,
            engine,
            state,
            order,
            Attempt.Status.SUBMITTED,
            actor=actor,
            request=request,
            answered={"item": item.pk, "position": len(state.items), "correct": correct, "scored": scored},
        )
        return Step(attempt, None, correct)
    # The ledger event is deferred: written now, sealed into the chain after commit. A
    # sealed append would hold the tenant's chain lock to the commit, one tenant's answers
    # one at a time (46 answers/s whatever the cores: bench/cat-http --profile).
    event = deferred_event(
        "learning.attempt.answered",
        attempt,
        actor=actor,
        item=item.pk,
        position=len(state.items),
        correct=correct,
        scored=scored,
    )
    # The answer, its audit entry, its ledger event and the attempt's new state: one
    # statement, one round trip (they were four), in the row lock's transaction.
    attempt.state = _dump(state, order)
    attempt.version += 1
    attempt.updated_at = timezone.now()
    write_together(
        [response, entry, event],
        Attempt.objects.filter(pk=attempt.pk),
        **{field: getattr(attempt, field) for field in SAVED_ON_ANSWER},
    )
    _cache_after_commit(attempt)
    _report(attempt)
    shown = bank.item(following)
    return Step(attempt, item_payload(shown, len(state.items) + 1, bank.stem_html(shown)), correct)


def submit(attempt: Attempt, *, actor, request=None) -> Attempt:
    """The student hands in now (idempotent: a finished attempt is returned as it is)."""
    from ..engine import engine_for

    attempt = expire_if_due(attempt)
    with transaction.atomic():
        attempt = Attempt.objects.select_for_update(of=("self",)).select_related("exam").get(pk=attempt.pk)
        if not attempt.is_active:
            return attempt
        state, order = load_state(attempt)
        _finish(
            attempt,
            engine_for(attempt.exam),
            state,
            order,
            Attempt.Status.SUBMITTED,
            actor=actor,
            request=request,
            reason="submitted",
        )
    return attempt


def expire_if_due(attempt: Attempt, *, now=None) -> Attempt:
    """Submit the attempt as timed out if its deadline has passed (idempotent)."""
    now = now or timezone.now()
    if not attempt.is_active or attempt.deadline is None or now < attempt.deadline:
        return attempt
    with transaction.atomic():
        locked = Attempt.objects.select_for_update(of=("self",)).select_related("exam").get(pk=attempt.pk)
        _expire_locked(locked, now=now)
    return locked


def _expire_locked(locked: Attempt, *, now=None) -> bool:
    """With the row locked: submit it as timed out if its deadline has passed (and its room
    is not paused); whether it did."""
    from ..engine import engine_for

    now = now or timezone.now()
    if not locked.is_active or locked.deadline is None or now < locked.deadline or _paused(locked):
        return False
    state, order = load_state(locked)
    _finish(locked, engine_for(locked.exam), state, order, Attempt.Status.TIMED_OUT, actor=None, reason="time")
    return True


def extend(attempt: Attempt, seconds: int, *, actor, request=None) -> Attempt:
    """Give an attempt in progress more time (a live room's teacher)."""
    if not 1 <= seconds <= 6 * 3600:
        raise invalid(seconds=_("Between 1 second and 6 hours."))
    with transaction.atomic():
        attempt = Attempt.objects.select_for_update().get(pk=attempt.pk)
        if not attempt.is_active:
            return attempt
        if attempt.deadline is None:
            attempt.deadline = timezone.now() + timedelta(seconds=seconds)
        else:
            attempt.deadline += timedelta(seconds=seconds)
        attempt.extra_seconds += seconds
        attempt.version += 1
        attempt.save(update_fields=["deadline", "extra_seconds", "version", "updated_at"])
        record("learning.attempt.extended", attempt, actor=actor, seconds=seconds)
        audit("learning.attempt.extended", actor=actor, resource=attempt, request=request, details={"seconds": seconds})
        _cache_after_commit(attempt)
        _schedule_expiry(attempt)
    return attempt


# ---------------------------------------------------------------------------- inside


SAVED_ON_ANSWER = ("state", "version", "theta", "se", "n_answered", "n_correct", "updated_at")


def _finish(
    attempt,
    engine,
    state: CATState,
    order,
    status: str,
    *,
    actor,
    request=None,
    reason: str | None = None,
    answered: dict | None = None,
):
    """End the attempt. `answered`: the last answer's event data, appended with the end's."""
    from ..engine import population_for, scale_for

    engine.finish(state, reason or "completed")
    result = engine.result(
        state, scale=scale_for(attempt.exam), population=population_for(attempt.exam, engine, state.theta)
    )
    codes = _codes(attempt.exam, state.items)
    data = result.to_dict()
    for row in data["log"]:
        row["code"] = codes.get(row["item"], "")
    attempt.status = status
    attempt.finished_at = timezone.now()
    attempt.theta, attempt.se = result.theta, result.se
    attempt.scaled_score, attempt.percentile = result.scaled_score, result.percentile
    attempt.stop_reason = result.stop_reason or ""
    attempt.result = data
    attempt.state = _dump(state, order)
    attempt.version += 1
    attempt.save()
    kind = "learning.attempt.timed_out" if status == Attempt.Status.TIMED_OUT else "learning.attempt.submitted"
    audit(kind, actor=actor, resource=attempt, request=request, details={"reason": attempt.stop_reason})
    _cache_after_commit(attempt)
    _report(attempt)
    _after_finish(attempt)
    if answered is not None:
        record_deferred("learning.attempt.answered", attempt, actor=actor, **answered)
    record_deferred(kind, attempt, actor=actor, theta=result.theta, se=result.se, reason=attempt.stop_reason)


def _codes(exam: Exam, item_ids: list[int]) -> dict[int, str]:
    """Item codes for the report's log: from the exam's cached bank, the database for any
    item no longer in it."""
    from ..engine import bank_for

    bank = bank_for(exam).items
    codes = {pk: bank[pk].code for pk in item_ids if pk in bank}
    missing = [pk for pk in item_ids if pk not in codes]
    if missing:
        codes.update(Item.objects.filter(pk__in=missing).values_list("pk", "code"))
    return codes


def _after_finish(attempt: Attempt) -> None:
    """What follows a finished attempt once it commits: leaderboards, the live room."""
    from . import hooks

    for hook in hooks.FINISHED:
        hook(attempt)


def _paused(attempt: Attempt) -> bool:
    from ..models import LiveRoom

    return bool(attempt.room_id) and LiveRoom.objects.filter(pk=attempt.room_id, status=LiveRoom.Status.PAUSED).exists()


def _report(attempt: Attempt) -> None:
    if attempt.room_id:
        from .rooms import report_progress

        report_progress(attempt)


def reschedule(attempt: Attempt) -> None:
    """After a deadline moved (a room resumed or extended): the Redis copy and the timer."""
    attempt.refresh_from_db(fields=["deadline", "version", "status", "state"])
    _cache_after_commit(attempt)
    if attempt.deadline is not None:
        _schedule_expiry(attempt)


def _schedule_expiry(attempt: Attempt) -> None:
    from ..tasks import expire_attempt

    expire_attempt.apply_async_on_commit(args=[attempt.pk], eta=attempt.deadline)

"""Exams: create, set a fixed form's items, publish, close."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction
from django.utils.translation import gettext as _

from apps.core.services import invalid, record

from ..cat import CATConfig
from ..models import Exam, ExamItem, Item, Klass, Organisation

EXAM_FIELDS = (
    "title",
    "description",
    "kind",
    "order",
    "is_public",
    "areas",
    "cat_settings",
    "time_limit_seconds",
    "score_slope",
    "score_intercept",
)


def clean_exam(data: dict, *, instance: Exam | None = None) -> dict:
    out = {name: data[name] for name in EXAM_FIELDS if name in data}
    title = out.get("title", instance.title if instance else "")
    if not (title or "").strip():
        raise invalid(title=_("An exam needs a title."))
    if "title" in out:
        out["title"] = out["title"].strip()
    kind = out.get("kind", instance.kind if instance else Exam.Kind.ADAPTIVE)
    if kind not in Exam.Kind.values:
        raise invalid(kind=_("Kind must be one of %(kinds)s.") % {"kinds": ", ".join(Exam.Kind.values)})
    if out.get("order", Exam.Order.ORDERED) not in Exam.Order.values:
        raise invalid(order=_("Order must be one of %(orders)s.") % {"orders": ", ".join(Exam.Order.values)})
    if "cat_settings" in out:
        settings = out["cat_settings"] or {}
        if not isinstance(settings, dict):
            raise invalid(cat_settings=_("CAT settings must be an object."))
        try:
            CATConfig.from_dict(settings)
        except (TypeError, ValueError) as exc:
            raise invalid(cat_settings=str(exc)) from None
        out["cat_settings"] = settings
    limit = out.get("time_limit_seconds")
    if limit is not None and not 10 <= int(limit) <= 24 * 3600:
        raise invalid(time_limit_seconds=_("Between 10 seconds and 24 hours, or empty."))
    if "score_slope" in out and not out["score_slope"] > 0:
        raise invalid(score_slope=_("The scale's slope must be positive."))
    return out


@transaction.atomic
def create_exam(*, actor=None, organisation: Organisation | None = None, klass: Klass | None = None, **data) -> Exam:
    fields = clean_exam(data)
    if klass is not None and organisation is not None and klass.organisation_id != organisation.pk:
        raise invalid(klass=_("The class belongs to another organisation."))
    if klass is not None and organisation is None:
        organisation = klass.organisation
    exam = Exam.objects.create(organisation=organisation, klass=klass, created_by=actor, **fields)
    record("learning.exam.created", exam, actor=actor, exam_kind=exam.kind)
    return exam


@transaction.atomic
def update_exam(exam: Exam, *, actor=None, **data) -> Exam:
    exam = Exam.objects.select_for_update().get(pk=exam.pk)
    fields = clean_exam(data, instance=exam)
    if exam.status != Exam.Status.DRAFT and {"kind", "areas", "cat_settings"} & set(fields):
        raise invalid(kind=_("A published exam's kind, areas and CAT settings are fixed; copy it instead."))
    for name, value in fields.items():
        setattr(exam, name, value)
    exam.save()
    record("learning.exam.updated", exam, actor=actor, fields=sorted(fields))
    return exam


@transaction.atomic
def set_items(exam: Exam, items: Sequence[Item], *, actor=None) -> Exam:
    """A fixed form's items, in order (a draft exam only)."""
    exam = Exam.objects.select_for_update().get(pk=exam.pk)
    if exam.kind != Exam.Kind.FIXED:
        raise invalid(items=_("Only a fixed-form exam has its own list of items."))
    if exam.status != Exam.Status.DRAFT:
        raise invalid(items=_("The exam is published: its items are fixed."))
    ids = [item.pk for item in items]
    if len(set(ids)) != len(ids):
        raise invalid(items=_("An item appears twice."))
    retired = [item.code for item in items if item.status in (Item.Status.RETIRED, Item.Status.DRAFT)]
    if retired:
        raise invalid(items=_("Draft or retired items cannot be used: %(codes)s") % {"codes": ", ".join(retired)})
    ExamItem.objects.filter(exam=exam).delete()
    ExamItem.objects.bulk_create(ExamItem(exam=exam, item=item, position=n) for n, item in enumerate(items, 1))
    exam.save(update_fields=["updated_at"])
    record("learning.exam.items_set", exam, actor=actor, items=ids)
    return exam


@transaction.atomic
def publish(exam: Exam, *, actor=None) -> Exam:
    from ..engine import bank_items

    exam = Exam.objects.select_for_update().get(pk=exam.pk)
    if exam.status == Exam.Status.PUBLISHED:
        return exam
    items = bank_items(exam)
    scorable = [item for item in items if exam.kind == Exam.Kind.FIXED or item.status == Item.Status.LIVE]
    if not scorable:
        raise invalid(status=_("The exam has no items to give."))
    exam.status = Exam.Status.PUBLISHED
    exam.save(update_fields=["status", "updated_at"])
    record("learning.exam.published", exam, actor=actor, items=len(items))
    return exam


@transaction.atomic
def close(exam: Exam, *, actor=None) -> Exam:
    exam = Exam.objects.select_for_update().get(pk=exam.pk)
    exam.status = Exam.Status.CLOSED
    exam.save(update_fields=["status", "updated_at"])
    record("learning.exam.closed", exam, actor=actor)
    return exam

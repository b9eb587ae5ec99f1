"""Parent–student links (seed 003, "Parent-Student 관계 승인 플로우").

A parent asks by the student's e-mail or phone; the link waits until it is decided. A
student aged 14 or more decides for themselves; for a child under 14 — or whose birth date
the zone does not know — the administrator of the child's organisation decides (Korea's
Personal Information Protection Act asks a legal representative's consent under 14). A
zone administrator may decide any link. Only approved links show the parent anything
(apps/learning/scopes.py, `own_children`). Every request and decision is in the ledger and
the audit log.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.permissions import has_permission
from apps.audit.services import record as audit
from apps.core.services import invalid, record, unknown

from ..models import ParentLink, StaffMembership, Student
from .people import clean_phone, phone_index

User = get_user_model()
CONSENT_AGE = 14


def find_student(*, email: str = "", phone: str | None = None) -> tuple[Student, str]:
    email = (email or "").strip().lower()
    digits = clean_phone(phone)
    if bool(email) == bool(digits):
        raise invalid(email=_("Give the student's e-mail or phone number (one of them)."))
    if email:
        student = Student.objects.filter(user__email__iexact=email).first()
        if student is None:
            raise unknown(email=_("No student of this site has this e-mail."))
        return student, ParentLink.Via.EMAIL
    student = Student.objects.filter(phone_index=phone_index(digits)).first()
    if student is None:
        raise unknown(phone=_("No student of this site has this phone number."))
    return student, ParentLink.Via.PHONE


@transaction.atomic
def request_link(*, actor, email: str = "", phone: str | None = None, request=None) -> ParentLink:
    """The parent `actor` asks to follow a student; the link waits for a decision."""
    student, via = find_student(email=email, phone=phone)
    if student.user_id == actor.pk:
        raise invalid(email=_("You cannot link to yourself."))
    if ParentLink.objects.filter(parent=actor, student=student, status__in=["pending", "approved"]).exists():
        raise invalid(email=_("You have already asked to follow this student."))
    try:
        with transaction.atomic():
            link = ParentLink.objects.create(parent=actor, student=student, via=via)
    except IntegrityError:  # the same request sent twice at once
        raise invalid(email=_("You have already asked to follow this student.")) from None
    record("learning.link.requested", link, actor=actor, student=student.pk, via=via)
    audit("learning.link.requested", actor=actor, resource=link, request=request, details={"via": via})
    return link


def needs_guardian_decision(student: Student) -> bool:
    age = student.age_on()
    return age is None or age < CONSENT_AGE


def can_decide(link: ParentLink, user) -> bool:
    """Whether `user` may approve or reject `link`."""
    if not user.is_authenticated or not has_permission(user, "link:approve"):
        return False
    if user.is_superuser or _unscoped(user):
        return True
    student = link.student
    if needs_guardian_decision(student):
        return (
            student.organisation_id is not None
            and StaffMembership.objects.filter(
                organisation_id=student.organisation_id, user=user, kind=StaffMembership.Kind.ADMIN
            ).exists()
        )
    return student.user_id == user.pk


def _unscoped(user) -> bool:
    """Holds link:approve through a role without a scope on links (the zone administrator)."""
    from apps.accounts.permissions import roles_granting

    return any(role.scope_for("link") is None for role in roles_granting(user, "link:approve"))


@transaction.atomic
def decide_link(link: ParentLink, *, approve: bool, actor, request=None) -> ParentLink:
    link = ParentLink.objects.select_for_update(of=("self",)).select_related("student").get(pk=link.pk)
    if not can_decide(link, actor):
        who = (
            _("the administrator of the child's organisation")
            if needs_guardian_decision(link.student)
            else _("the student")
        )
        raise invalid(status=_("Only %(who)s may decide this link.") % {"who": who})
    if link.status != ParentLink.Status.PENDING:
        raise invalid(status=_("The link was already decided (%(status)s).") % {"status": link.get_status_display()})
    link.status = ParentLink.Status.APPROVED if approve else ParentLink.Status.REJECTED
    link.decided_at = timezone.now()
    link.decided_by = actor
    link.save(update_fields=["status", "decided_at", "decided_by", "updated_at"])
    kind = "learning.link.approved" if approve else "learning.link.rejected"
    record(kind, link, actor=actor, parent=link.parent_id, student=link.student_id)
    audit(kind, actor=actor, resource=link, request=request, details={"parent": link.parent_id})
    return link


@transaction.atomic
def revoke_link(link: ParentLink, *, actor, request=None) -> ParentLink:
    """End an open link: the parent, the student, or whoever may decide it."""
    link = ParentLink.objects.select_for_update(of=("self",)).select_related("student").get(pk=link.pk)
    allowed = link.parent_id == actor.pk or link.student.user_id == actor.pk or can_decide(link, actor)
    if not allowed:
        raise invalid(status=_("You may not revoke this link."))
    if link.status not in (ParentLink.Status.PENDING, ParentLink.Status.APPROVED):
        raise invalid(status=_("The link is no longer open."))
    link.status = ParentLink.Status.REVOKED
    link.decided_at = timezone.now()
    link.decided_by = actor
    link.save(update_fields=["status", "decided_at", "decided_by", "updated_at"])
    record("learning.link.revoked", link, actor=actor, parent=link.parent_id, student=link.student_id)
    audit("learning.link.revoked", actor=actor, resource=link, request=request)
    return link


def children_of(parent) -> list[Student]:
    """The students `parent` follows through approved links."""
    return list(
        Student.objects.filter(parent_links__parent=parent, parent_links__status=ParentLink.Status.APPROVED).distinct()
    )

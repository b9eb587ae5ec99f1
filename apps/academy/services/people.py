"""People: one person = one profile.

Guardians are found again by the blind index of their normalised phone. Students are
found again by their own identity — name and birth date within their family — never by
a guardian's phone, which siblings share.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.core.normalise import normalise_phone, school_grade, text
from apps.core.pii import blind_index
from apps.core.services import invalid, record
from apps.identity import services as identity

from ..models import Family, Guardian, GuardianLink, Student


def phone_index(phone: str | None) -> str | None:
    return blind_index("phone", phone) if phone else None


def person_index(name: str, birth_date: date | None) -> str:
    return blind_index("person", f"{text(name)}|{birth_date.isoformat() if birth_date else ''}")


def register_blind_indexes() -> None:
    """How rotate_pii_keys recomputes the indexes after PII_BLIND_INDEX_KEY changes."""
    from apps.core.pii import register_blind_index

    register_blind_index("academy.guardian", "phone_index", lambda row: phone_index(row.phone))
    register_blind_index("academy.coach", "phone_index", lambda row: phone_index(row.phone))
    register_blind_index("academy.student", "phone_index", lambda row: phone_index(row.phone))
    register_blind_index("academy.student", "person_index", lambda row: person_index(row.name, row.birth_date))
    register_blind_index("academy.student", "kiosk_pin_hash", None)  # the PIN itself is never stored


def clean_phone(value, field: str) -> str | None:
    try:
        return normalise_phone(value)
    except ValueError as exc:
        raise invalid(**{field: str(exc)}) from None


def find_guardian(phone) -> Guardian | None:
    digits = clean_phone(phone, "guardian_phone")
    return Guardian.objects.filter(phone_index=phone_index(digits)).first() if digits else None


@transaction.atomic
def find_or_create_guardian(*, phone, name: str = "", email: str = "", actor=None) -> tuple[Guardian, bool]:
    digits = clean_phone(phone, "guardian_phone")
    if not digits:
        raise invalid(guardian_phone=_("A guardian needs a phone number."))
    index = phone_index(digits)
    guardian = Guardian.objects.select_for_update().filter(phone_index=index).first()
    if guardian is not None:
        changed = []
        if name and not guardian.name:
            guardian.name, changed = text(name), ["name"]
        if email and not guardian.email:
            guardian.email = email
            changed.append("email")
        if guardian.identity_id is None:
            guardian.identity_id = _guardian_identity(guardian.pk, digits, guardian.email)
            changed.append("identity_id")
        if changed:
            guardian.save(update_fields=[*changed, "updated_at"])
        return guardian, False
    family = Family.objects.create(name=_("%(name)s family") % {"name": text(name) or digits[-4:]})
    guardian = Guardian.objects.create(
        family=family, name=text(name) or "", phone=digits, phone_index=index, email=email
    )
    guardian.identity_id = _guardian_identity(guardian.pk, digits, email)
    guardian.save(update_fields=["identity_id"])
    record("guardian.created", guardian, actor)
    return guardian, True


def _guardian_identity(pk: int, digits: str, email: str) -> int | None:
    identity_id = identity.resolve([identity.phone_key(digits), identity.email_key(email)])
    identity.link("academy.guardian", pk, identity_id)
    return identity_id


def student_identity_keys(name: str, birth_date: date | None, own_phone: str | None, guardian_phone: str | None):
    """A student is their own person: their own phone, else name + birth date + guardian's
    phone — never the guardian's phone alone, which siblings share."""
    return [identity.phone_key(own_phone), identity.person_key(name, birth_date, guardian_phone)]


def _student_identity(student: Student, guardian_phone: str | None) -> int | None:
    keys = student_identity_keys(student.name, student.birth_date, student.phone, guardian_phone)
    identity_id = identity.resolve(keys)
    identity.link("academy.student", student.pk, identity_id)
    return identity_id


@dataclass
class StudentResult:
    student: Student
    created: bool
    updated_fields: list[str]


STUDENT_FIELDS = ("school", "grade", "status", "memo")


@transaction.atomic
def upsert_student(
    *,
    name: str,
    birth_date: date | None = None,
    phone=None,
    guardian_phone=None,
    guardian_name: str = "",
    relation: str = GuardianLink.Relation.OTHER,
    school: str = "",
    grade: str = "",
    status: str = Student.Status.ACTIVE,
    memo: str = "",
    actor=None,
) -> StudentResult:
    """Find the student by their own identity and update them, or create them; link the
    guardian (found by phone) as an approved primary contact."""
    name = text(name) or ""
    if not name:
        raise invalid(name=_("A student needs a name."))
    if birth_date and birth_date > timezone.localdate():
        raise invalid(birth_date=_("The birth date is in the future."))
    if status not in Student.Status.values:
        raise invalid(status=_("Unknown status %(status)s.") % {"status": status})
    own_phone = clean_phone(phone, "phone")
    guardian = None
    if guardian_phone not in (None, ""):
        guardian, _created = find_or_create_guardian(phone=guardian_phone, name=guardian_name, actor=actor)
    if guardian is None and not (birth_date or own_phone):
        raise invalid(
            birth_date=_("A student without a guardian needs a birth date or their own phone to be told apart.")
        )
    key = person_index(name, birth_date)
    if guardian is not None:
        student = Student.objects.select_for_update().filter(family=guardian.family, person_index=key).first()
        if student is None and birth_date is None:
            # Same name in the same family without a birth date: the same child, listed again.
            student = Student.objects.select_for_update().filter(family=guardian.family, name=name).first()
        elif student is None:
            # Known so far without a birth date: the same child, now with one.
            student = (
                Student.objects.select_for_update()
                .filter(family=guardian.family, person_index=person_index(name, None))
                .first()
            )
    elif own_phone:
        student = Student.objects.select_for_update().filter(phone_index=phone_index(own_phone), name=name).first()
    else:
        student = Student.objects.select_for_update().filter(person_index=key, guardian_links__isnull=True).first()

    values = {"school": text(school) or "", "grade": school_grade(grade) or "", "status": status, "memo": memo or ""}
    if student is None:
        family = guardian.family if guardian else Family.objects.create(name=_("%(name)s family") % {"name": name})
        student = Student.objects.create(
            family=family,
            name=name,
            birth_date=birth_date,
            phone=own_phone,
            phone_index=phone_index(own_phone),
            person_index=key,
            **values,
        )
        student.identity_id = _student_identity(student, guardian.phone if guardian else None)
        if student.identity_id:
            student.save(update_fields=["identity_id"])
        record("student.created", student, actor, name=name)
        result = StudentResult(student, True, [])
    else:
        changed = [f for f in STUDENT_FIELDS if values[f] and getattr(student, f) != values[f]]
        if birth_date and student.birth_date != birth_date:
            student.birth_date, student.person_index = birth_date, key
            changed += ["birth_date", "person_index"]
        if own_phone and student.phone != own_phone:
            student.phone, student.phone_index = own_phone, phone_index(own_phone)
            changed += ["phone", "phone_index"]
        for field in STUDENT_FIELDS:
            if field in changed:
                setattr(student, field, values[field])
        if student.identity_id is None:
            student.identity_id = _student_identity(student, guardian.phone if guardian else None)
            if student.identity_id:
                changed.append("identity_id")
        if changed:
            student.save(update_fields=[*changed, "updated_at"])
            shown = sorted(set(changed) - {"person_index", "phone_index", "identity_id"})
            if shown:
                record("student.updated", student, actor, fields=shown)
        result = StudentResult(student, False, changed)
    if guardian is not None:
        link_guardian(guardian, student, relation=relation, approved=True, actor=actor)
    return result


@transaction.atomic
def link_guardian(
    guardian: Guardian, student: Student, *, relation: str = GuardianLink.Relation.OTHER, approved: bool, actor=None
) -> GuardianLink:
    """Link a guardian to a student; staff links are approved at once, a parent's request waits."""
    link, created = GuardianLink.objects.get_or_create(
        guardian=guardian,
        student=student,
        defaults={
            "relation": relation,
            "is_primary": not student.guardian_links.exists(),
            "status": GuardianLink.Status.APPROVED if approved else GuardianLink.Status.PENDING,
            "decided_at": timezone.now() if approved else None,
        },
    )
    if created:
        record("guardian.linked", student, actor, guardian=guardian.pk, status=link.status)
    return link


@transaction.atomic
def decide_link(link: GuardianLink, *, approve: bool, actor) -> GuardianLink:
    if link.status != GuardianLink.Status.PENDING:
        raise invalid(status=_("This request has already been decided."))
    link.status = GuardianLink.Status.APPROVED if approve else GuardianLink.Status.REJECTED
    link.decided_at, link.decided_by = timezone.now(), actor if getattr(actor, "pk", None) else None
    link.save(update_fields=["status", "decided_at", "decided_by", "updated_at"])
    record("guardian.link_decided", link.student, actor, guardian=link.guardian_id, approved=approve)
    return link


def guardians_of(student: Student, *, approved_only: bool = True):
    links = GuardianLink.objects.filter(student=student)
    if approved_only:
        links = links.filter(status=GuardianLink.Status.APPROVED)
    return Guardian.objects.filter(links__in=links).distinct()

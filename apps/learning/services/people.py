"""Organisations, staff, students, classes and enrollments of a zone. Every write here is
one transaction with its ledger event (apps.core.services.record)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from apps.core.normalise import normalise_phone
from apps.core.pii import blind_index
from apps.core.services import invalid, record

from ..models import Enrollment, Klass, Organisation, StaffMembership, Student

User = get_user_model()


def phone_index(phone: str | None) -> str | None:
    return blind_index("phone", phone) if phone else None


def register_blind_indexes() -> None:
    """How rotate_pii_keys recomputes the indexes after PII_BLIND_INDEX_KEY changes."""
    from apps.core.pii import register_blind_index

    register_blind_index("learning.student", "phone_index", lambda row: phone_index(row.phone))


def clean_phone(value, field: str = "phone") -> str | None:
    if value in (None, ""):
        return None
    try:
        return normalise_phone(value)
    except ValueError as exc:
        raise invalid(**{field: str(exc)}) from None


def _required(value: str | None, field: str, message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise invalid(**{field: message})
    return value


@transaction.atomic
def create_organisation(*, name: str, code: str, actor=None) -> Organisation:
    name = _required(name, "name", _("An organisation needs a name."))
    code = _required(code, "code", _("An organisation needs a code."))
    if Organisation.objects.filter(code=code).exists():
        raise invalid(code=_("The code %(code)s is taken.") % {"code": code})
    organisation = Organisation.objects.create(name=name, code=code)
    record("learning.organisation.created", organisation, actor=actor, code=code)
    return organisation


@transaction.atomic
def add_staff(organisation: Organisation, user, kind: str, *, actor=None) -> StaffMembership:
    """Make `user` an administrator or a teacher of `organisation` (idempotent). The
    matching role (org_admin, teacher) is granted separately, by whoever may assign it."""
    if kind not in StaffMembership.Kind.values:
        raise invalid(kind=_("Unknown staff kind %(kind)r.") % {"kind": kind})
    membership, created = StaffMembership.objects.get_or_create(organisation=organisation, user=user, kind=kind)
    if created:
        record("learning.staff.added", membership, actor=actor, user=user.pk, staff_kind=kind)
    return membership


@transaction.atomic
def create_student(
    *,
    username: str,
    name: str,
    email: str = "",
    phone: str | None = None,
    birth_date: date | None = None,
    organisation: Organisation | None = None,
    nickname: str = "",
    password: str | None = None,
    actor=None,
) -> Student:
    """A login with the student role and its profile."""
    from apps.accounts.services import grant_role

    username = _required(username, "username", _("A student needs a login name."))
    name = _required(name, "name", _("A student needs a name."))
    email = (email or "").strip().lower()
    digits = clean_phone(phone)
    if User.objects.filter(username=username).exists():
        raise invalid(username=_("The login name %(name)s is taken.") % {"name": username})
    if email and User.objects.filter(email__iexact=email).exists():
        raise invalid(email=_("Another login already uses this e-mail."))
    if digits and Student.objects.filter(phone_index=phone_index(digits)).exists():
        raise invalid(phone=_("Another student already uses this phone number."))
    user = User(username=username, email=email, display_name=name)
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    student = Student.objects.create(
        user=user,
        name=name,
        nickname=(nickname or "").strip()[:40],
        birth_date=birth_date,
        phone=digits,
        phone_index=phone_index(digits),
        organisation=organisation,
    )
    grant_role(user, "student")  # the system grants it: the profile and the role go together
    record("learning.student.created", student, actor=actor, organisation=organisation.pk if organisation else None)
    return student


@transaction.atomic
def set_nickname(student: Student, nickname: str, *, actor=None) -> Student:
    nickname = (nickname or "").strip()
    if len(nickname) > 40:
        raise invalid(nickname=_("At most 40 characters."))
    student.nickname = nickname
    student.save(update_fields=["nickname", "updated_at"])
    record("learning.student.nickname_set", student, actor=actor)
    return student


@transaction.atomic
def create_class(*, organisation: Organisation, name: str, teachers: Iterable = (), actor=None) -> Klass:
    name = _required(name, "name", _("A class needs a name."))
    if Klass.objects.filter(organisation=organisation, name=name).exists():
        raise invalid(name=_("The organisation already has a class named %(name)s.") % {"name": name})
    klass = Klass.objects.create(organisation=organisation, name=name)
    teachers = list(teachers)
    _check_teachers(organisation, teachers)
    klass.teachers.set(teachers)
    record(
        "learning.class.created", klass, actor=actor, organisation=organisation.pk, teachers=[t.pk for t in teachers]
    )
    return klass


def _check_teachers(organisation: Organisation, teachers: list) -> None:
    staff = set(
        StaffMembership.objects.filter(organisation=organisation, kind="teacher").values_list("user_id", flat=True)
    )
    strangers = [t for t in teachers if t.pk not in staff]
    if strangers:
        raise invalid(
            teachers=_("%(names)s do not teach at %(org)s.")
            % {"names": ", ".join(str(t) for t in strangers), "org": organisation}
        )


@transaction.atomic
def update_class(klass: Klass, *, name: str | None = None, teachers: Iterable | None = None, actor=None) -> Klass:
    changes: dict = {}
    if name is not None:
        name = _required(name, "name", _("A class needs a name."))
        if Klass.objects.filter(organisation_id=klass.organisation_id, name=name).exclude(pk=klass.pk).exists():
            raise invalid(name=_("The organisation already has a class named %(name)s.") % {"name": name})
        klass.name = name
        klass.save(update_fields=["name", "updated_at"])
        changes["name"] = name
    if teachers is not None:
        teachers = list(teachers)
        _check_teachers(klass.organisation, teachers)
        klass.teachers.set(teachers)
        changes["teachers"] = [t.pk for t in teachers]
    record("learning.class.updated", klass, actor=actor, **changes)
    return klass


@transaction.atomic
def enroll(klass: Klass, student: Student, *, actor=None) -> Enrollment:
    """Put a student of the class's organisation in the class (idempotent)."""
    if student.organisation_id != klass.organisation_id:
        raise invalid(student=_("The student does not belong to the class's organisation."))
    try:
        with transaction.atomic():
            enrollment, created = Enrollment.objects.get_or_create(klass=klass, student=student)
    except IntegrityError:
        enrollment, created = Enrollment.objects.get(klass=klass, student=student), False
    if not created and not enrollment.is_active:
        enrollment.is_active = True
        enrollment.save(update_fields=["is_active", "updated_at"])
        created = True
    if created:
        record("learning.enrollment.added", enrollment, actor=actor, klass=klass.pk, student=student.pk)
    return enrollment


@transaction.atomic
def unenroll(klass: Klass, student: Student, *, actor=None) -> bool:
    changed = Enrollment.objects.filter(klass=klass, student=student, is_active=True).update(is_active=False)
    if changed:
        record("learning.enrollment.ended", ("learning.klass", klass.pk), actor=actor, student=student.pk)
    return bool(changed)

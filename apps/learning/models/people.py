"""People of a learning zone (seed 003): organisations (schools, institutions) and their
staff, classes, students and the parent–student links.

A login is an `accounts.User` with one of the zone's roles (apps/learning/roles.py); the
rows here say *where* a role applies: an org_admin administers the organisations of their
`StaffMembership(kind=admin)`, a teacher teaches the classes naming them, a parent sees the
students of their approved links.
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.core.deletion import CASCADE_WHERE_PRESENT, SET_NULL_WHERE_PRESENT
from apps.core.pii import EncryptedDateField, EncryptedTextField


class Timestamped(models.Model):
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        abstract = True


class Organisation(Timestamped):
    """A school or institution inside the zone."""

    name = models.CharField(_("name"), max_length=200)
    code = models.SlugField(_("code"), max_length=40, unique=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class StaffMembership(Timestamped):
    """A user working for an organisation: its administrator or one of its teachers."""

    class Kind(models.TextChoices):
        ADMIN = "admin", _("Organisation administrator")
        TEACHER = "teacher", _("Teacher")

    organisation = models.ForeignKey(
        Organisation, verbose_name=_("organisation"), on_delete=models.CASCADE, related_name="staff"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=CASCADE_WHERE_PRESENT, related_name="learning_staff"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)

    class Meta:
        verbose_name = _("staff membership")
        verbose_name_plural = _("staff memberships")
        constraints = [
            models.UniqueConstraint(fields=["organisation", "user", "kind"], name="learning_staff_once"),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.organisation} ({self.get_kind_display()})"


class Student(Timestamped):
    """A learner's profile: the login, the organisation (if any), the nickname shown on
    leaderboards, and what a parent may find them by (e-mail of the login, phone)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=CASCADE_WHERE_PRESENT,
        related_name="learning_student",
    )
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="students",
    )
    name = models.CharField(_("name"), max_length=100)
    nickname = models.CharField(_("nickname"), max_length=40, blank=True)
    birth_date = EncryptedDateField(_("birth date"), blank=True, null=True)
    phone = EncryptedTextField(_("phone"), blank=True, null=True)
    # Parents find a student by phone through this index, never through a plaintext column.
    phone_index = models.CharField(_("phone index"), max_length=64, null=True, editable=False, db_index=True)  # noqa: DJ001

    class Meta:
        verbose_name = _("student")
        verbose_name_plural = _("students")
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name

    @property
    def shown_name(self) -> str:
        """What other students see (leaderboards): the nickname, else the initial only."""
        return self.nickname or (self.name[:1] + "○○" if self.name else f"#{self.pk}")

    def age_on(self, day: date | None = None) -> int | None:
        if not self.birth_date:
            return None
        day = day or timezone.localdate()
        born = self.birth_date
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


class Klass(Timestamped):
    """A class of an organisation: its teachers and enrolled students."""

    organisation = models.ForeignKey(
        Organisation, verbose_name=_("organisation"), on_delete=models.CASCADE, related_name="classes"
    )
    name = models.CharField(_("name"), max_length=100)
    teachers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("teachers"),
        blank=True,
        related_name="learning_classes",
        through="ClassTeacher",
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("class")
        verbose_name_plural = _("classes")
        ordering = ["organisation_id", "name"]
        constraints = [models.UniqueConstraint(fields=["organisation", "name"], name="learning_class_name_once")]

    def __str__(self) -> str:
        return self.name


class ClassTeacher(models.Model):
    """A teacher of a class (the through table, so that deleting a user in a schema without
    zone tables does not touch this one: apps.core.deletion)."""

    klass = models.ForeignKey(Klass, verbose_name=_("class"), on_delete=models.CASCADE)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("teacher"), on_delete=CASCADE_WHERE_PRESENT)

    class Meta:
        verbose_name = _("class teacher")
        verbose_name_plural = _("class teachers")
        constraints = [models.UniqueConstraint(fields=["klass", "user"], name="learning_class_teacher_once")]

    def __str__(self) -> str:
        return f"{self.user_id} @ {self.klass_id}"


class Enrollment(Timestamped):
    klass = models.ForeignKey(Klass, verbose_name=_("class"), on_delete=models.CASCADE, related_name="enrollments")
    student = models.ForeignKey(
        Student, verbose_name=_("student"), on_delete=models.CASCADE, related_name="enrollments"
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("enrollment")
        verbose_name_plural = _("enrollments")
        constraints = [models.UniqueConstraint(fields=["klass", "student"], name="learning_enrollment_once")]

    def __str__(self) -> str:
        return f"{self.student} @ {self.klass}"


class ParentLink(Timestamped):
    """A parent asks to follow a student; the student (or, for a child under 14, the
    organisation's administrator) decides. Only approved links show anything."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for approval")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        REVOKED = "revoked", _("Revoked")

    class Via(models.TextChoices):
        EMAIL = "email", _("E-mail")
        PHONE = "phone", _("Phone")
        STAFF = "staff", _("Made by staff")

    parent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("parent"),
        on_delete=CASCADE_WHERE_PRESENT,
        related_name="learning_links",
    )
    student = models.ForeignKey(
        Student, verbose_name=_("student"), on_delete=models.CASCADE, related_name="parent_links"
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    via = models.CharField(_("asked by"), max_length=8, choices=Via.choices, default=Via.EMAIL)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=SET_NULL_WHERE_PRESENT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("parent link")
        verbose_name_plural = _("parent links")
        ordering = ["-created_at"]
        constraints = [
            # One open (pending or approved) link per parent and student; a rejected or
            # revoked one may be asked again.
            models.UniqueConstraint(
                fields=["parent", "student"],
                condition=Q(status__in=["pending", "approved"]),
                name="learning_parent_link_open_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.parent} → {self.student} ({self.get_status_display()})"

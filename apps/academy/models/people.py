from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from apps.core.deletion import SET_NULL_WHERE_PRESENT
from apps.core.pii import EncryptedDateField, EncryptedTextField

from .base import Timestamped


class Family(Timestamped):
    """A household: the students and guardians billed together. Its balance is the sum of
    its account entries (apps.academy.models.billing.FamilyEntry)."""

    name = models.CharField(_("name"), max_length=100)

    class Meta:
        verbose_name = _("family")
        verbose_name_plural = _("families")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Guardian(Timestamped):
    """A parent or other guardian, one row per real person: found again by phone through
    the blind index, never by a plaintext phone column."""

    family = models.ForeignKey(Family, verbose_name=_("family"), on_delete=models.PROTECT, related_name="guardians")
    name = models.CharField(_("name"), max_length=100, blank=True)
    phone = EncryptedTextField(_("phone"), blank=True, null=True)
    # NULL, not "": guardians without a phone must not collide on the UNIQUE index.
    phone_index = models.CharField(_("phone index"), max_length=64, null=True, editable=False)  # noqa: DJ001
    email = models.EmailField(_("e-mail"), blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("login"),
        null=True,
        blank=True,
        on_delete=SET_NULL_WHERE_PRESENT,
        related_name="guardian_profile",
    )
    identity_id = models.BigIntegerField(_("universal identity"), null=True, blank=True, db_index=True)
    telegram_chat_id = models.CharField(_("Telegram chat id"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("guardian")
        verbose_name_plural = _("guardians")
        ordering = ["name"]
        # A constraint, not unique=True: that adds a varchar_pattern_ops index nothing uses.
        constraints = [models.UniqueConstraint(fields=["phone_index"], name="academy_guardian_one_per_phone")]

    def __str__(self) -> str:
        return self.name or str(_("Guardian %(id)s") % {"id": self.pk})


class Student(Timestamped):
    """One student, one profile. Identified by their own name and birth date within their
    family (`person_index`), never by a guardian's phone: siblings share that."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Attending")
        PAUSED = "paused", _("Paused")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    # family_id is indexed by the one_profile constraint (its first column).
    family = models.ForeignKey(
        Family, verbose_name=_("family"), on_delete=models.PROTECT, related_name="students", db_index=False
    )
    name = models.CharField(_("name"), max_length=100)
    birth_date = EncryptedDateField(_("birth date"), blank=True, null=True)
    phone = EncryptedTextField(_("phone"), blank=True, null=True)
    phone_index = models.CharField(  # noqa: DJ001  NULL when there is no phone
        _("phone index"), max_length=64, null=True, blank=True, editable=False
    )
    person_index = models.CharField(_("person index"), max_length=64, editable=False)
    school = models.CharField(_("school"), max_length=100, blank=True)
    grade = models.CharField(_("grade"), max_length=20, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.ACTIVE)
    memo = models.TextField(_("memo"), blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("login"),
        null=True,
        blank=True,
        on_delete=SET_NULL_WHERE_PRESENT,
        related_name="student_profile",
    )
    identity_id = models.BigIntegerField(_("universal identity"), null=True, blank=True, db_index=True)
    kiosk_pin_hash = models.CharField(_("kiosk PIN"), max_length=128, blank=True, editable=False)
    referred_by = models.ForeignKey(
        "self",
        verbose_name=_("referred by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="referrals",
        db_index=False,  # a partial index below: most students were not referred
    )

    class Meta:
        verbose_name = _("student")
        verbose_name_plural = _("students")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["family", "person_index"], name="academy_student_one_profile"),
        ]
        # Plain indexes, not db_index=True: that adds varchar_pattern_ops twins nothing uses,
        # which every insert (an import writes 100,000 students) pays for.
        indexes = [
            models.Index(fields=["name"], name="academy_student_name_idx"),
            models.Index(fields=["phone_index"], name="academy_student_phone_idx"),
            models.Index(fields=["status"], name="academy_student_status_idx"),
            models.Index(
                fields=["referred_by"],
                condition=models.Q(referred_by__isnull=False),
                name="academy_student_referrer_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class GuardianLink(Timestamped):
    """A guardian of a student. Links made by staff or an import are approved; a link a
    parent asks for waits for staff approval before the portal shows the child."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for approval")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    class Relation(models.TextChoices):
        MOTHER = "mother", _("Mother")
        FATHER = "father", _("Father")
        GRANDPARENT = "grandparent", _("Grandparent")
        OTHER = "other", _("Other")

    # guardian_id is indexed by the link_once constraint (its first column).
    guardian = models.ForeignKey(
        Guardian, verbose_name=_("guardian"), on_delete=models.CASCADE, related_name="links", db_index=False
    )
    student = models.ForeignKey(
        Student, verbose_name=_("student"), on_delete=models.CASCADE, related_name="guardian_links"
    )
    relation = models.CharField(_("relation"), max_length=12, choices=Relation.choices, default=Relation.OTHER)
    is_primary = models.BooleanField(_("primary contact"), default=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.APPROVED)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=SET_NULL_WHERE_PRESENT,
        related_name="+",
        db_index=False,  # a partial index below: links staff made or imported have none
    )

    class Meta:
        verbose_name = _("guardian link")
        verbose_name_plural = _("guardian links")
        constraints = [models.UniqueConstraint(fields=["guardian", "student"], name="academy_guardian_link_once")]
        indexes = [
            models.Index(
                fields=["decided_by"], condition=models.Q(decided_by__isnull=False), name="academy_link_decider_idx"
            )
        ]

    def __str__(self) -> str:
        return f"{self.guardian} → {self.student}"


class Coach(Timestamped):
    name = models.CharField(_("name"), max_length=100)
    phone = EncryptedTextField(_("phone"), blank=True, null=True)
    phone_index = models.CharField(  # noqa: DJ001  NULL when there is no phone
        _("phone index"), max_length=64, null=True, blank=True, editable=False, db_index=True
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("login"),
        null=True,
        blank=True,
        on_delete=SET_NULL_WHERE_PRESENT,
        related_name="coach_profile",
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("coach")
        verbose_name_plural = _("coaches")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

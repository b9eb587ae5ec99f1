from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    """A login in one schema. The same person on two tenants has two User rows; the
    universal identity registry (public schema) is what links them."""

    display_name = models.CharField(_("display name"), max_length=150, blank=True)
    language = models.CharField(
        _("language"), max_length=8, choices=[("ko", "한국어"), ("en", "English")], default="ko"
    )

    class Meta(AbstractUser.Meta):
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.display_name or self.get_full_name() or self.username


class RoleAssignment(models.Model):
    """A user holds a role of this tenant's type (apps.accounts.roles). Rows live in the
    tenant's schema, so a role on one tenant means nothing on another; a code that is not
    a role of the schema's type grants nothing.

    Created and removed only through apps.accounts.services, which checks that the
    grantor may hand the role out and records the change in the audit log.
    """

    user = models.ForeignKey(User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="role_assignments")
    role = models.CharField(_("role"), max_length=40, db_index=True)
    granted_by = models.ForeignKey(
        User,
        verbose_name=_("granted by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    granted_at = models.DateTimeField(_("granted at"), auto_now_add=True)

    class Meta:
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")
        ordering = ["user_id", "role"]
        constraints = [models.UniqueConstraint(fields=["user", "role"], name="accounts_role_once_per_user")]

    def __str__(self) -> str:
        from .tenant_type import role_label

        return f"{self.user} — {role_label(self.role)}"

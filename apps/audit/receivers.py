"""Sign-ins, sign-outs, failed sign-ins and MFA changes, from Django's and allauth's
signals — browser logins, allauth headless app logins and the admin alike."""

from __future__ import annotations

from allauth.mfa import signals as mfa_signals
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from . import actions
from .services import record

LOGIN_KEYS = ("username", "email", "login")


@receiver(user_logged_in, dispatch_uid="audit_login")
def _logged_in(sender, request, user, **kwargs) -> None:
    record(actions.LOGIN, actor=user, resource=user, request=request)


@receiver(user_logged_out, dispatch_uid="audit_logout")
def _logged_out(sender, request, user, **kwargs) -> None:
    if user is not None:
        record(actions.LOGOUT, actor=user, resource=user, request=request)


@receiver(user_login_failed, dispatch_uid="audit_login_failed")
def _login_failed(sender, credentials, request=None, **kwargs) -> None:
    # The attempted name only, never the password (Django masks it anyway).
    attempted = next((str(credentials[k]) for k in LOGIN_KEYS if credentials.get(k)), "")[:150]
    User = get_user_model()
    target = (
        User._default_manager.filter(**{f"{User.USERNAME_FIELD}__iexact": attempted}).first()
        or User._default_manager.filter(email__iexact=attempted).exclude(email="").first()
        if attempted
        else None
    )
    record(
        actions.LOGIN_FAILED,
        actor=None,
        resource=target if target is not None else ("accounts.user", ""),
        request=request,
        details={"login": attempted, "known_user": target is not None},
    )


@receiver(mfa_signals.authentication_failed, dispatch_uid="audit_mfa_failed")
def _mfa_failed(sender, request, user, authenticator=None, **kwargs) -> None:
    record(
        actions.MFA_FAILED,
        actor=None,
        resource=user,
        request=request,
        details={
            "authenticator": getattr(authenticator, "type", ""),
            "reauthentication": kwargs.get("reauthentication", False),
        },
    )


@receiver(mfa_signals.authenticator_added, dispatch_uid="audit_mfa_added")
def _mfa_added(sender, request, user, authenticator, **kwargs) -> None:
    record(
        actions.MFA_ENABLED, actor=user, resource=user, request=request, details={"authenticator": authenticator.type}
    )


@receiver(mfa_signals.authenticator_removed, dispatch_uid="audit_mfa_removed")
def _mfa_removed(sender, request, user, authenticator, **kwargs) -> None:
    record(
        actions.MFA_DISABLED, actor=user, resource=user, request=request, details={"authenticator": authenticator.type}
    )


@receiver(mfa_signals.authenticator_reset, dispatch_uid="audit_mfa_reset")
def _mfa_reset(sender, request, user, authenticator, **kwargs) -> None:
    record(actions.MFA_RESET, actor=user, resource=user, request=request, details={"authenticator": authenticator.type})

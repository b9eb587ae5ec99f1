"""allauth's TOTP activation, landing where the user was going.

The admin sends a user whose role requires MFA to /accounts/2fa/totp/activate/?next=<the
admin page>; allauth's form posts back without the query and then always showed the
recovery-codes page, leaving the user there. The target is kept in the session from the
GET, checked like any redirect, and used after activation; the recovery codes stay one
click away (a message says where)."""

from __future__ import annotations

from allauth.mfa.totp.views import ActivateTOTPView
from django.contrib import messages
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

SESSION_KEY = "mfa_activate_next"


class ActivateTOTPThenContinue(ActivateTOTPView):
    def _safe(self, target: str | None) -> str | None:
        request = self.request
        if target and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            return target
        return None

    def get(self, request, *args, **kwargs):
        if target := self._safe(request.GET.get("next")):
            request.session[SESSION_KEY] = target
        return super().get(request, *args, **kwargs)

    def get_success_url(self) -> str:
        target = self._safe(self.request.POST.get("next") or self.request.GET.get("next")) or self._safe(
            self.request.session.pop(SESSION_KEY, None)
        )
        if target is None:
            return super().get_success_url()
        if self.did_generate_recovery_codes:
            messages.info(
                self.request,
                _("Two-factor authentication is on. Your recovery codes are under Account → Recovery codes."),
            )
        return target


activate_totp = ActivateTOTPThenContinue.as_view()

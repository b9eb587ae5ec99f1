"""The cashier's and floor manager's back office: withdrawal queues (approve, reject with a
reason), deposits, accounts and the journal (read-only), the cashier's stop switch. Every
action goes through the services, so it is audited and in the ledger like the API's."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from apps.accounts.admin_mixins import PermissionAdminMixin
from apps.core.admin import ReadOnlyAdminMixin

from . import models as m
from .services import cashier


class ReadOnly(ReadOnlyAdminMixin, PermissionAdminMixin, admin.ModelAdmin):
    """Money records written by the wallet services only: viewed here, never edited."""


@admin.register(m.Account)
class AccountAdmin(ReadOnly):
    permission_resource = "wallet"
    list_display = ["code", "kind", "balance", "user"]
    # Explicit: the admin's own select_related() skips a nullable key (house accounts have no user).
    list_select_related = ["user"]
    list_filter = ["kind"]
    search_fields = ["code"]


@admin.register(m.Transfer)
class TransferAdmin(ReadOnly):
    permission_resource = "wallet"
    list_display = ["seq", "kind", "idempotency_key", "reference", "created_at"]
    list_filter = ["kind"]
    search_fields = ["idempotency_key", "reference"]


@admin.register(m.Deposit)
class DepositAdmin(ReadOnly):
    permission_resource = "deposit"
    list_display = ["id", "user", "coin", "crypto_amount", "confirmations", "status", "krw_amount", "created_at"]
    list_filter = ["status", "coin"]


class QueueFilter(admin.SimpleListFilter):
    title = _("queue")
    parameter_name = "queue"

    def lookups(self, request, model_admin):
        return [("approval", _("Needs approval")), ("waiting", _("Waiting out 24 h")), ("sending", _("Sending"))]

    def queryset(self, request, queryset):
        from django.db.models import Count, F

        held = queryset.filter(status="held").annotate(n=Count("approvals"))
        if self.value() == "approval":
            return held.filter(n__lt=F("approvals_required"))
        if self.value() == "waiting":
            return held.filter(n__gte=F("approvals_required"))
        if self.value() == "sending":
            return queryset.filter(status="sending")
        return queryset


@admin.register(m.Withdrawal)
class WithdrawalAdmin(ReadOnly):
    permission_resource = "withdrawal"
    list_display = [
        "id",
        "user",
        "amount",
        "coin",
        "status",
        "approvals_required",
        "approvals_given",
        "release_at",
        "reject_link",
    ]
    list_filter = [QueueFilter, "status", "coin"]
    actions = ["approve_selected"]

    @admin.display(description=_("approvals"))
    def approvals_given(self, obj):
        return obj.approvals.count()

    @admin.display(description=_("reject"))
    def reject_link(self, obj):
        if obj.status != "held":
            return ""
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:wallet_withdrawal_reject", args=[obj.pk]), _("Reject…")
        )

    @admin.action(description=_("Approve the selected withdrawals"))
    def approve_selected(self, request, queryset):
        for withdrawal in queryset:
            try:
                cashier.approve(withdrawal, actor=request.user)
            except ValidationError as error:
                messages.error(request, f"#{withdrawal.pk}: {' '.join(error.messages)}")
            else:
                messages.success(request, _("Approved #%(id)s.") % {"id": withdrawal.pk})

    def get_urls(self):
        return [
            path(
                "<int:pk>/reject/",
                self.admin_site.admin_view(self.reject_view),
                name="wallet_withdrawal_reject",
            ),
            *super().get_urls(),
        ]

    def reject_view(self, request, pk: int):
        withdrawal = get_object_or_404(m.Withdrawal, pk=pk)
        if request.method == "POST":
            try:
                cashier.reject(withdrawal, actor=request.user, reason=request.POST.get("reason", ""))
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
            else:
                messages.success(
                    request, _("Rejected #%(id)s; the money is back on the player's balance.") % {"id": pk}
                )
                return HttpResponseRedirect(reverse("admin:wallet_withdrawal_changelist"))
        return render(
            request,
            "admin/wallet/reject.html",
            {**self.admin_site.each_context(request), "withdrawal": withdrawal, "title": _("Reject a withdrawal")},
        )


@admin.register(m.CashierState)
class CashierStateAdmin(ReadOnly):
    permission_resource = "wallet"
    list_display = ["halted", "reason", "changed_at"]
    actions = ["resume_cashier"]

    @admin.action(description=_("Resume the cashier (after checking the books)"))
    def resume_cashier(self, request, queryset):
        from apps.accounts.permissions import has_permission

        if not has_permission(request.user, "wallet:adjust"):
            messages.error(request, _("Only a floor manager may resume the cashier."))
            return
        found = cashier.verify_or_halt()
        if found:
            messages.error(request, _("The books still do not add up: %(p)s") % {"p": "; ".join(found[:3])})
            return
        cashier.resume(actor=request.user)
        messages.success(request, _("The cashier is running again."))

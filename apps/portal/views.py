"""The parent portal's pages (server-rendered, no JavaScript). Each view asks
apps.portal.services for the guardian's own rows; anything else is a 404."""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.academy.models import Invoice
from apps.accounts.permissions import has_permission

from . import services
from .forms import LinkRequestForm, PreferenceForm


def guardian_required(view):
    """Signed in (else allauth's login, back here after) and a guardian here; staff and
    other roles get a page that says where they belong (403)."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not services.is_guardian(request.user):
            can_dashboard = has_permission(request.user, "dashboard:read")
            return render(request, "portal/not_guardian.html", {"can_dashboard": can_dashboard}, status=403)
        return view(request, *args, **kwargs)

    return wrapper


def _page(request: HttpRequest, template: str, section: str, **context) -> HttpResponse:
    if "kids" not in context:  # (not setdefault: its argument would run the query anyway)
        context["kids"] = list(services.children(request.user))
    return render(request, template, {"section": section, **context})


def _first_error(exc: ValidationError) -> str:
    if hasattr(exc, "message_dict"):
        return next(iter(exc.message_dict.values()))[0]
    return exc.messages[0]


@guardian_required
def home(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    kids = services.own_children(request.user)
    weeks = services.weeks(request.user, kids, today)
    cards = [{"child": kid, "week": weeks[kid.pk]} for kid in kids]
    for card in cards:
        card["today"] = next(day for day in card["week"] if day.is_today).meetings
        card["count"] = sum(len(day.meetings) for day in card["week"])
    open_invoices = [i for i in services.invoices(request.user) if i.due > 0]
    guardian, pending = services.guardian_with_pending(request.user)
    return _page(
        request,
        "portal/home.html",
        "home",
        kids=kids,
        cards=cards,
        today=today,
        guardian=guardian,
        open_invoices=open_invoices,
        due_total=sum(i.due for i in open_invoices),
        pending=pending,
    )


@guardian_required
def child(request: HttpRequest, pk: int) -> HttpResponse:
    kids = services.own_children(request.user)
    kid = services.child_among(request.user, kids, pk)
    history = services.attendance_history(request.user, kid)
    return _page(
        request,
        "portal/child.html",
        "child",
        kids=kids,
        child=kid,
        week=services.week(request.user, kid),
        history=history,
        summary=services.attendance_summary(history),
    )


@guardian_required
def child_feedback(request: HttpRequest, pk: int) -> HttpResponse:
    kids = services.own_children(request.user)
    kid = services.child_among(request.user, kids, pk)
    return _page(
        request,
        "portal/child_feedback.html",
        "child",
        kids=kids,
        child=kid,
        feedback=services.feedback_for(request.user, kid),
        videos=services.videos_for(request.user, kid),
    )


@guardian_required
def invoices(request: HttpRequest) -> HttpResponse:
    rows = list(services.invoices(request.user))
    return _page(
        request,
        "portal/invoices.html",
        "invoices",
        open_invoices=[i for i in rows if i.due > 0],
        settled=[i for i in rows if i.due == 0],
    )


@guardian_required
def invoice(request: HttpRequest, pk: int) -> HttpResponse:
    obj = services.invoice(request.user, pk)
    return _page(
        request,
        "portal/invoice.html",
        "invoices",
        invoice=obj,
        pending=services.pending_online_payment(obj) if obj.due else None,
        can_pay=obj.due > 0 and obj.status != Invoice.Status.CANCELLED,
    )


@require_POST
@guardian_required
def pay(request: HttpRequest, pk: int) -> HttpResponse:
    """Start an online payment and send the payer to the gateway's checkout."""
    try:
        payment = services.pay(request.user, pk, base_url=request.build_absolute_uri("/"))
    except ValidationError as exc:
        messages.error(request, _first_error(exc))
        return redirect("portal-invoice", pk=pk)
    return redirect(payment.checkout_url)


@guardian_required
def receipts(request: HttpRequest) -> HttpResponse:
    return _page(request, "portal/receipts.html", "receipts", payments=list(services.receipts(request.user)[:100]))


@guardian_required
def receipt(request: HttpRequest, pk: int) -> HttpResponse:
    return _page(request, "portal/receipt.html", "receipts", payment=services.receipt(request.user, pk))


@guardian_required
def preferences(request: HttpRequest) -> HttpResponse:
    guardian = services.guardian_profile(request.user)
    if guardian is None:
        return _page(request, "portal/preferences.html", "preferences", form=None)
    current = services.preference(guardian)
    form = PreferenceForm(request.POST or None, initial=PreferenceForm.initial_for(current))
    if request.method == "POST" and form.is_valid():
        try:
            services.save_preference(
                request.user,
                channels=form.cleaned_data["channels"],
                marketing_opt_out=form.cleaned_data["marketing_opt_out"],
                muted=form.cleaned_data["muted"],
            )
        except ValidationError as exc:
            form.add_error(None, _first_error(exc))
        else:
            messages.success(request, _("Your notification settings were saved."))
            return redirect("portal-preferences")
    return _page(request, "portal/preferences.html", "preferences", form=form)


@guardian_required
def links(request: HttpRequest) -> HttpResponse:
    guardian = services.guardian_profile(request.user)
    form = LinkRequestForm(request.POST or None)
    if request.method == "POST" and guardian is not None and form.is_valid():
        try:
            services.request_link(request.user, **form.cleaned_data)
        except ValidationError as exc:
            for name, errors in exc.message_dict.items():
                form.add_error(name if name in form.fields else None, errors)
        else:
            messages.success(
                request,
                _(
                    "Thank you. If the academy has a child with these details, the request is listed "
                    "below until staff approve it."
                ),
            )
            return redirect("portal-links")
    return _page(
        request,
        "portal/links.html",
        "links",
        guardian=guardian,
        form=form,
        requests=list(services.links(request.user)),
    )


def welcome(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    """The invitation link: choose a password, then straight into the portal."""
    from django.contrib.auth import login
    from django.contrib.auth.forms import SetPasswordForm

    from .invitations import user_for_token

    user = user_for_token(uidb64, token)
    if user is None:
        return render(request, "portal/welcome_invalid.html", status=400)
    form = SetPasswordForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        form.save()
        login(request, user, backend="apps.accounts.backends.RoleModelBackend")
        messages.success(request, _("Your password is set. Next time, sign in with your phone number."))
        return redirect("portal-home")
    from apps.core.normalise import display_phone

    guardian = services.guardian_profile(user)
    login_hint = display_phone(guardian.phone) if guardian and guardian.phone else ""
    return render(request, "portal/welcome.html", {"form": form, "login_hint": login_hint})

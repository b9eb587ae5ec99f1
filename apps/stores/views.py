"""The owner's pages (server-rendered, Korean first): the review inbox with its filters, a
review with its analysis and draft editor, the paste import and the dashboard with the
latest reports. Every action calls the same services as the API; staff see only the
stores they are assigned to."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.permissions import has_permission
from apps.accounts.scoping import visible_to

from .connectors import connector_for
from .models import Listing, Platform, ReplyDraft, Report, Review, Store
from .services import ingest, plans, replies, reports


def _need(request, perm: str) -> None:
    if not has_permission(request.user, perm):
        raise PermissionDenied


def _stores(request):
    return visible_to(Store.objects.filter(archived=False), request.user, "store:read")


def _errors(request, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


@login_required
def inbox(request):
    _need(request, "review:read")
    rows = visible_to(Review.objects.select_related("store"), request.user, "review:read")
    filters = {}
    for name in ("store", "platform", "rating", "sentiment", "reply_status"):
        value = request.GET.get(name, "")
        if value:
            rows = rows.filter(**{name: value})
        filters[name] = value
    if request.GET.get("urgent"):
        rows = rows.exclude(urgent=[])
    if query := request.GET.get("q", "").strip():
        rows = rows.filter(Q(text__icontains=query) | Q(author__icontains=query))
    page = Paginator(rows.order_by("-written_on", "-id"), 30).get_page(request.GET.get("page"))
    return render(
        request,
        "stores/inbox.html",
        {
            "page": page,
            "filters": filters,
            "q": query,
            "stores": _stores(request),
            "platforms": Platform.choices,
            "sentiments": Review.Sentiment.choices,
            "reply_statuses": Review.ReplyStatus.choices,
        },
    )


@login_required
def review_page(request, pk: int):
    _need(request, "review:read")
    review = get_object_or_404(visible_to(Review.objects.select_related("store"), request.user, "review:read"), pk=pk)
    if request.method == "POST":
        action = request.POST.get("action")
        draft = None
        if request.POST.get("draft"):
            draft = get_object_or_404(ReplyDraft, pk=request.POST["draft"], review=review)
        try:
            if action == "draft":
                _need(request, "reply:create")
                replies.draft_reply(review, actor=request.user, text=request.POST.get("text") or None)
                messages.success(request, _("The draft awaits approval."))
            elif action == "approve" and draft:
                _need(request, "reply:approve")
                edited = request.POST.get("text", "").strip()
                replies.approve(draft, actor=request.user, text=edited if edited and edited != draft.text else None)
                messages.success(request, _("Approved."))
            elif action == "reject" and draft:
                _need(request, "reply:approve")
                replies.reject(draft, actor=request.user, reason=request.POST.get("reason", ""))
                messages.success(request, _("Rejected."))
            elif action == "posted" and draft:
                _need(request, "reply:approve")
                replies.mark_posted(draft, actor=request.user)
                messages.success(request, _("Marked as posted."))
        except ValidationError as exc:
            _errors(request, exc)
        return redirect("stores:review", pk=review.pk)
    listing = Listing.objects.filter(store=review.store, platform=review.platform).first()
    connector = connector_for(review.platform)
    return render(
        request,
        "stores/review.html",
        {
            "review": review,
            "drafts": review.drafts.all(),
            "versions": review.versions.order_by("-version"),
            "can_post": connector.can_post,
            "reply_page": connector.reply_page(listing),
            "drafts_allowed": plans.allows("reply_drafts"),
            "may_approve": has_permission(request.user, "reply:approve"),
            "plan": plans.current(),
        },
    )


@login_required
def import_page(request):
    _need(request, "review:update")
    session = None
    if request.method == "POST":
        store = get_object_or_404(_stores(request), pk=request.POST.get("store") or 0)
        text = request.POST.get("text", "")
        if upload := request.FILES.get("file"):
            text = upload.read().decode("utf-8-sig", errors="replace")
        try:
            session = ingest.import_pasted(store, request.POST.get("platform", ""), text, actor=request.user)
        except ValidationError as exc:
            _errors(request, exc)
    return render(
        request, "stores/import.html", {"stores": _stores(request), "platforms": Platform.choices, "session": session}
    )


@login_required
def dashboard_page(request):
    _need(request, "dashboard:read")
    stores = _stores(request)
    store = stores.filter(pk=request.GET.get("store") or 0).first() or stores.first()
    today = timezone.localdate()
    context = {"stores": stores, "store": store}
    if store is not None:
        trend = reports.rating_trend(store, today)
        peak = max([w["reviews"] for w in trend] + [1])
        for week in trend:
            week["bar"] = round(100 * week["reviews"] / peak)
            week["negative_bar"] = round(100 * week["negative"] / peak)
        context.update(
            summary=reports.summary(store, today - timedelta(days=6), today),
            trend=trend,
            keywords=reports.keyword_trends(store, today),
            recommendations=reports.recommendations(store, today) if plans.allows("advanced_analytics") else None,
            aspects=reports.aspect_counts(store, today - timedelta(days=29), today),
            daily=Report.objects.filter(store=store, kind=Report.Kind.DAILY).first(),
            weekly=Report.objects.filter(store=store, kind=Report.Kind.WEEKLY).first(),
            plan=plans.current(),
        )
    return render(request, "stores/dashboard.html", context)

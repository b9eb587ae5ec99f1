"""Seed 002's endpoints: /stores/ (CRUD, stats, crawl, import, listings), /reviews/ (filters,
reply, check-complete), /drafts/ (approve, reject), /analytics/, /payments/plans and
/subscription, and the Google Pub/Sub push endpoint. Permissions per role (staff see the
stores they are assigned to: the `assigned` scope); every write goes through services."""

from __future__ import annotations

import base64
import binascii
import hmac
import json
from datetime import date, timedelta

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action, api_view, authentication_classes, permission_classes
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from apps.accounts.api.permissions import HasPermission
from apps.accounts.scoping import visible_to
from apps.core.api.viewsets import ScopedViewSet

from .. import models as m
from .. import tasks
from ..services import ingest, plans, replies, reports, stores
from . import serializers as s
from .filters import ReviewFilter

Scoped = ScopedViewSet  # apps.core.api.viewsets: rows in the user's scope, 404 + audit outside it


@extend_schema(tags=["stores"])
class StoreViewSet(Scoped, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    resource = "store"
    base_queryset = m.Store.objects.filter(archived=False).prefetch_related("listings")
    serializer_class = s.StoreSerializer
    permission_classes = [
        HasPermission(
            resource="store",
            actions={
                "stats": "store:read",
                "crawl": "connector:manage",
                "listings": "connector:manage",
                "import_reviews": "review:update",
            },
        )
    ]

    def create(self, request):
        data = s.StoreSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        store = stores.create_store(actor=request.user, **data.validated_data)
        return Response(s.StoreSerializer(store).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, pk=None):
        data = s.StoreSerializer(self.get_object(), data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        store = stores.update_store(data.instance, actor=request.user, **data.validated_data)
        return Response(s.StoreSerializer(store).data)

    def destroy(self, request, pk=None):
        stores.archive_store(self.get_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(responses=inline_serializer("StoreStats", {"summary": serializers.DictField()}))
    @action(detail=True, methods=["get"])
    def stats(self, request, pk=None):
        store = self.get_object()
        today = timezone.localdate()
        first = m.Review.objects.filter(store=store).order_by("written_on").values_list("written_on", flat=True).first()
        return Response({"summary": reports.summary(store, first or today, today)})

    @extend_schema(request=None, responses={202: inline_serializer("Crawl", {"queued": serializers.ListField()})})
    @action(detail=True, methods=["post"])
    def crawl(self, request, pk=None):
        """Collect now through every platform API the store is connected to (Google)."""
        store = self.get_object()
        queued = []
        for listing in store.listings.exclude(oauth_token=""):
            tasks.crawl_listing.apply_async(args=[listing.pk], priority=0)
            queued.append(listing.platform)
        return Response({"queued": queued}, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=s.ImportSerializer, responses=s.SessionSerializer)
    @action(detail=True, methods=["post"], url_path="import")
    def import_reviews(self, request, pk=None):
        """The owner's pasted review list (Naver Smart Place, Kakao business page, CSV)."""
        data = s.ImportSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        session = ingest.import_pasted(self.get_object(), actor=request.user, **data.validated_data)
        return Response(s.SessionSerializer(session).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.ListingWriteSerializer, responses=s.ListingSerializer)
    @action(detail=True, methods=["post"])
    def listings(self, request, pk=None):
        data = s.ListingWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        listing = stores.set_listing(self.get_object(), actor=request.user, **data.validated_data)
        return Response(s.ListingSerializer(listing).data)


@extend_schema(tags=["stores: reviews"])
class ReviewViewSet(Scoped, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    resource = "review"
    base_queryset = m.Review.objects.all()
    permission_classes = [
        HasPermission(resource="review", actions={"reply": "reply:create", "check_complete": "reply:approve"})
    ]

    filterset_class = ReviewFilter

    def get_serializer_class(self):
        return s.ReviewListSerializer if self.action == "list" else s.ReviewSerializer

    def get_queryset(self):
        rows = super().get_queryset()
        if self.action != "list":
            rows = rows.prefetch_related("drafts")
        return rows.order_by("-written_on", "-id")

    @extend_schema(request=s.DraftWriteSerializer, responses=s.DraftSerializer)
    @action(detail=True, methods=["post"])
    def reply(self, request, pk=None):
        """A reply draft: written by hand (`text`) or drafted (no text). It awaits approval."""
        data = s.DraftWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        draft = replies.draft_reply(self.get_object(), actor=request.user, text=data.validated_data.get("text"))
        return Response(s.DraftSerializer(draft).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=s.DraftSerializer)
    @action(detail=True, methods=["post"], url_path="check-complete")
    def check_complete(self, request, pk=None):
        """The owner pasted the approved reply on Naver / Kakao ("copy and open")."""
        review = self.get_object()
        draft = review.drafts.filter(status__in=["approved", "failed", "posted"]).first()
        if draft is None:
            from ..services.common import invalid

            raise invalid(status="Approve a reply first.")
        return Response(s.DraftSerializer(replies.mark_posted(draft, actor=request.user)).data)


@extend_schema(tags=["stores: reviews"])
class DraftViewSet(Scoped, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    resource = "reply"
    base_queryset = m.ReplyDraft.objects.all()
    serializer_class = s.DraftSerializer
    permission_classes = [
        HasPermission(resource="reply", actions={"approve": "reply:approve", "reject": "reply:approve"})
    ]

    def get_queryset(self):
        rows = super().get_queryset()
        if value := self.request.query_params.get("status"):
            rows = rows.filter(status=value)
        return rows

    @extend_schema(request=s.DecisionSerializer, responses=s.DraftSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        data = s.DecisionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        draft = replies.approve(self.get_object(), actor=request.user, text=data.validated_data.get("text"))
        return Response(s.DraftSerializer(draft).data)

    @extend_schema(request=s.DecisionSerializer, responses=s.DraftSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        data = s.DecisionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        draft = replies.reject(self.get_object(), actor=request.user, reason=data.validated_data.get("reason", ""))
        return Response(s.DraftSerializer(draft).data)


@extend_schema(tags=["stores: reports"])
class ReportViewSet(Scoped, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    resource = "report"
    base_queryset = m.Report.objects.all()
    serializer_class = s.ReportSerializer
    permission_classes = [HasPermission(resource="report")]


def _store(request) -> m.Store:
    rows = visible_to(m.Store.objects.filter(archived=False), request.user, "store:read")
    wanted = request.query_params.get("store")
    if wanted:
        if not str(wanted).isdigit():
            raise Http404
        return get_object_or_404(rows, pk=wanted)
    store = rows.first()
    if store is None:
        raise Http404
    return store


def _week_end(request) -> date:
    return timezone.localdate()


STORE_PARAM = [OpenApiParameter("store", int, required=False)]
ANY = inline_serializer("Analytics", {"store": serializers.IntegerField()})


@extend_schema(tags=["stores: analytics"], parameters=STORE_PARAM, responses=ANY)
@api_view(["GET"])
@permission_classes([HasPermission("dashboard:read")])
def dashboard(request):
    store = _store(request)
    today = timezone.localdate()
    return Response(
        {
            "store": store.pk,
            "this_week": reports.summary(store, today - timedelta(days=6), today),
            "last_30_days": reports.summary(store, today - timedelta(days=29), today),
            "pending_drafts": m.ReplyDraft.objects.filter(review__store=store, status="pending").count(),
            "plan": plans.current().code,
        }
    )


@extend_schema(tags=["stores: analytics"], parameters=STORE_PARAM, responses=ANY)
@api_view(["GET"])
@permission_classes([HasPermission("report:read")])
def rating_trend(request):
    store = _store(request)
    return Response({"store": store.pk, "weeks": reports.rating_trend(store, _week_end(request))})


@extend_schema(tags=["stores: analytics"], parameters=STORE_PARAM, responses=ANY)
@api_view(["GET"])
@permission_classes([HasPermission("keyword:read")])
def keywords(request):
    store = _store(request)
    return Response({"store": store.pk, **reports.keyword_trends(store, _week_end(request))})


@extend_schema(tags=["stores: analytics"], parameters=STORE_PARAM, responses=ANY)
@api_view(["GET"])
@permission_classes([HasPermission("report:read")])
def recommendations(request):
    store = _store(request)
    plans.require("advanced_analytics")
    return Response({"store": store.pk, "recommendations": reports.recommendations(store, _week_end(request))})


@extend_schema(tags=["stores: billing"], responses=inline_serializer("Plans", {"plans": serializers.ListField()}))
@api_view(["GET"])
@permission_classes([HasPermission("billing:read")])
def plan_list(request):
    return Response(
        {
            "plans": [
                {
                    "code": p.code,
                    "name": p.label,
                    "max_stores": p.max_stores,
                    "reply_drafts": p.reply_drafts,
                    "analytics": p.analytics,
                }
                for p in plans.PLANS.values()
            ]
        }
    )


@extend_schema(tags=["stores: billing"], responses=inline_serializer("Subscription", {"plan": serializers.CharField()}))
@api_view(["GET"])
@permission_classes([HasPermission("billing:read")])
def subscription(request):
    sub = plans.subscription()
    return Response(
        {
            "plan": sub.plan,
            "status": sub.status,
            "grace_until": sub.grace_until,
            "stores": m.Store.objects.filter(archived=False).count(),
            "max_stores": plans.current().max_stores,
        }
    )


@extend_schema(exclude=True)
@api_view(["POST"])
@authentication_classes([])
@permission_classes([AllowAny])
def google_push(request):
    """Cloud Pub/Sub push of Business Profile notifications. Verified by the tenant's push
    token (in the subscription's push URL, compared in constant time); the review itself
    is then fetched from Google, never taken from the message."""
    sub = m.Subscription.objects.filter(singleton=True).first()
    token = request.query_params.get("token", "")
    if sub is None or not sub.push_token or not hmac.compare_digest(token, sub.push_token):
        return Response({"detail": "unknown push token"}, status=status.HTTP_403_FORBIDDEN)
    try:
        message = request.data["message"]
        data = json.loads(base64.b64decode(message["data"]))
        location, review_name = data["location"], data["review"]
    except (KeyError, TypeError, ValueError, binascii.Error):
        return Response({"detail": "not a Pub/Sub message"}, status=status.HTTP_400_BAD_REQUEST)
    if data.get("type") not in ("NEW_REVIEW", "UPDATED_REVIEW"):
        return Response(status=status.HTTP_204_NO_CONTENT)
    review_id = review_name.rsplit("/", 1)[-1]
    tasks.crawl_pushed.apply_async(args=[location, review_id], priority=0)
    return Response(status=status.HTTP_204_NO_CONTENT)  # Pub/Sub acknowledges on 2xx

"""The lobby and tables (anyone with `table:read`), seats (a player's own, `seat:take`),
and hand history (`hand:read`: a player their own hands, the floor all) with its PHH
export. Writes go through apps.club.services; money moves only through the wallet's."""

from __future__ import annotations

from django.core.cache import cache
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Count, Q
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, serializers
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from apps.accounts.api.permissions import HasPermission
from apps.accounts.scoping import scope_filter
from apps.core.api.viewsets import ScopedViewSet

from .. import engine, live
from ..models import Hand, Table
from ..services import seating
from . import serializers as s


def _refused(error: DjangoValidationError) -> ValidationError:
    return ValidationError(error.message_dict if hasattr(error, "error_dict") else {"detail": error.messages})


# The lobby and table views are read by every player's page and app, many times per change: a
# view's data is kept in the cache (per club: the cache key function adds the schema). The
# lobby list under the club's tables version (apps.club.live.tables_version), which every seat
# change, deal, booking and save of any table, seat or waiting entry moves on; a table's
# detail under that table's own version (apps.club.live.table_version), which only changes
# of its own rows (its seats, its waiting list, its room) move, so that the 63 other tables'
# deals and bookings leave it cached. The expiry only bounds what an unused version keeps.
VIEW_CACHE_SECONDS = 60


def cached_view(view, request, kind: str, render, *, version=None) -> Response:
    """`render()`'s response, or its data as last rendered under the current version (the
    club's, or `version()`'s) and page size. Only for readers who see every table (a scoped
    reader's rows would differ)."""
    if scope_filter(Table, request.user, "table:read") is not None:
        return render()
    size = getattr(view.paginator, "page_size", None)
    token = version() if version is not None else live.tables_version()
    key = f"club:api:{kind}:{token}:{size}:{request.get_full_path()}"
    data = cache.get(key)
    if data is not None:
        return Response(data)
    response = render()
    if response.status_code == 200:
        cache.set(key, response.data, VIEW_CACHE_SECONDS)
    return response


SeatResult = inline_serializer(
    "ClubSeatResult", {"seat": serializers.IntegerField(allow_null=True), "status": serializers.CharField()}
)


@extend_schema(tags=["club"])
class TableViewSet(ScopedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    resource = "table"
    base_queryset = (
        Table.objects.select_related("room")
        .annotate(
            seated=Count("seats", filter=Q(seats__user__isnull=False), distinct=True),
            waiting_count=Count("waiting", distinct=True),
        )
        .order_by("big_blind", "name", "id")
    )
    serializer_class = s.TableSerializer
    permission_classes = [
        HasPermission(
            resource="table",
            actions={
                "seat": "seat:take",
                "leave": "seat:take",
                "sit_out": "seat:take",
                "sit_in": "seat:take",
                "wait": "seat:take",
            },
        )
    ]

    def get_serializer_class(self):
        return s.TableDetailSerializer if self.action == "retrieve" else s.TableSerializer

    def list(self, request, *args, **kwargs):
        return cached_view(self, request, "list", lambda: super(TableViewSet, self).list(request, *args, **kwargs))

    def retrieve(self, request, *args, **kwargs):
        render = lambda: super(TableViewSet, self).retrieve(request, *args, **kwargs)  # noqa: E731
        pk = str(kwargs.get("pk", ""))
        if not pk.isdigit():
            return render()
        return cached_view(self, request, "table", render, version=lambda: live.table_version(int(pk)))

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.action == "retrieve":
            queryset = queryset.prefetch_related("seats__user")
        return queryset

    def _seat_reply(self, seat) -> Response:
        return Response({"seat": seat.number if seat and seat.user_id else None, "status": seat.status})

    @extend_schema(
        request=s.SeatRequestSerializer,
        responses=SeatResult,
        parameters=[OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER, required=True)],
    )
    @action(detail=True, methods=["post"])
    def seat(self, request, pk=None):
        """Take a seat with a buy-in from the wallet (40–100 big blinds by default)."""
        table = self.get_object()
        data = s.SeatRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        key = request.headers.get("Idempotency-Key", "")
        if not key:
            raise ValidationError({"idempotency_key": ["Send an Idempotency-Key header: a retry then has one effect."]})
        try:
            seat = seating.take_seat(
                table=table,
                user=request.user,
                seat_number=data.validated_data["seat"],
                amount=data.validated_data["amount"],
                key=key,
                actor=request.user,
            )
        except DjangoValidationError as error:
            raise _refused(error) from None
        return self._seat_reply(seat)

    def _simple(self, request, call) -> Response:
        table = self.get_object()
        try:
            seat = call(table)
        except DjangoValidationError as error:
            raise _refused(error) from None
        return self._seat_reply(seat)

    @extend_schema(request=None, responses=SeatResult)
    @action(detail=True, methods=["post"])
    def leave(self, request, pk=None):
        """Stand up: the stack goes back to the wallet (after the hand in play)."""
        return self._simple(request, lambda table: seating.stand_up(table=table, user=request.user, actor=request.user))

    @extend_schema(request=None, responses=SeatResult)
    @action(detail=True, methods=["post"], url_path="sit-out")
    def sit_out(self, request, pk=None):
        return self._sitting(request, True)

    @extend_schema(request=None, responses=SeatResult)
    @action(detail=True, methods=["post"], url_path="sit-in")
    def sit_in(self, request, pk=None):
        return self._sitting(request, False)

    def _sitting(self, request, out: bool) -> Response:
        user = request.user
        return self._simple(
            request, lambda table: seating.set_sitting_out(table=table, user=user, sitting_out=out, actor=user)
        )

    @extend_schema(request=None, responses=inline_serializer("ClubWaiting", {"waiting": serializers.BooleanField()}))
    @action(detail=True, methods=["post"])
    def wait(self, request, pk=None):
        """Join the table's waiting list."""
        table = self.get_object()
        try:
            seating.join_waiting_list(table=table, user=request.user, actor=request.user)
        except DjangoValidationError as error:
            raise _refused(error) from None
        return Response({"waiting": True})


@extend_schema(tags=["club"])
class HandViewSet(ScopedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """Finished hands: a player sees the hands they were dealt into."""

    resource = "hand"
    base_queryset = Hand.objects.order_by("-ended_at", "-id")
    serializer_class = s.HandSerializer
    permission_classes = [HasPermission(resource="hand", actions={"phh": "hand:read"})]

    def get_queryset(self):
        queryset = super().get_queryset()
        table = self.request.query_params.get("table")
        if self.action == "list" and table is not None:
            if not table.isdigit():
                raise ValidationError({"table": ["Give a table id."]})
            queryset = queryset.filter(table_id=int(table))
        return queryset

    @extend_schema(parameters=[OpenApiParameter("table", int, description="only this table's hands")])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(responses=inline_serializer("ClubHandPhh", {"phh": serializers.CharField()}))
    @action(detail=True, methods=["get"])
    def phh(self, request, pk=None):
        """The hand in PHH (pokerkit's hand history format), currency KRW."""
        return Response({"phh": export_phh(self.get_object())})


def export_phh(hand: Hand) -> str:
    from ..services.verify import setup_of

    names = [str(seat["user"]) for seat in hand.seats]
    meta = {"table": str(hand.table_id), "hand": hand.number, "players": names}
    return engine.history(setup_of(hand), hand.actions, **meta).dumps()

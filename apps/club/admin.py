"""The floor manager's back office: open a table (the form calls the service), open or close
tables, remove a player from a seat (their stack back to their wallet), read hands. Every
action goes through apps.club.services (audited, in the ledger)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from apps.accounts.admin_mixins import PermissionAdminMixin
from apps.core.admin import ReadOnlyAdminMixin, admin_permissions

from . import models as m
from .services import seating


class ReadOnly(ReadOnlyAdminMixin, PermissionAdminMixin, admin.ModelAdmin):
    """Records written by the table services: viewed here, never edited."""


@admin.register(m.Room)
class RoomAdmin(PermissionAdminMixin, admin.ModelAdmin):
    permission_resource = "room"
    list_display = ["name", "created_at"]
    fields = ["name"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        room = seating.create_room(name=obj.name, actor=request.user)
        obj.pk = room.pk


class SeatInline(admin.TabularInline):
    model = m.Seat
    fields = ["number", "user", "stack", "status", "leaving"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(m.Table)
class TableAdmin(PermissionAdminMixin, admin.ModelAdmin):
    permission_resource = "table"
    list_display = ["name", "room", "small_blind", "big_blind", "max_seats", "status", "hands_played"]
    list_filter = ["status", "big_blind"]
    fields = [
        "room",
        "name",
        "small_blind",
        "big_blind",
        "max_seats",
        "min_buy_in_bb",
        "max_buy_in_bb",
        "action_seconds",
    ]
    inlines = [SeatInline]
    actions = ["open_tables", "close_tables"]

    def get_readonly_fields(self, request, obj=None):
        return self.fields if obj is not None else []

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        if change:
            return
        table = seating.open_table(
            room=obj.room,
            name=obj.name,
            small_blind=obj.small_blind,
            big_blind=obj.big_blind,
            max_seats=obj.max_seats,
            min_buy_in_bb=obj.min_buy_in_bb,
            max_buy_in_bb=obj.max_buy_in_bb,
            action_seconds=obj.action_seconds,
            actor=request.user,
        )
        obj.pk = table.pk

    def save_related(self, request, form, formsets, change):
        """Seats are made by the service; nothing to save from the inline."""

    def _status(self, request, queryset, status: str) -> None:
        for table in queryset:
            try:
                seating.set_table_status(table=table, status=status, actor=request.user)
            except ValidationError as error:
                self.message_user(request, f"{table}: {' '.join(error.messages)}", messages.ERROR)

    @admin.action(description=_("Open the selected tables"), permissions=["change"])
    def open_tables(self, request, queryset):
        self._status(request, queryset, m.Table.Status.OPEN)

    @admin.action(description=_("Close the selected tables (players stand up after the hand)"), permissions=["change"])
    def close_tables(self, request, queryset):
        self._status(request, queryset, m.Table.Status.CLOSED)


@admin.register(m.Seat)
class SeatAdmin(ReadOnly):
    """Seats with a player; the floor removes a player (their stack goes back to their wallet)."""

    permission_resource = "seat"
    permissions = admin_permissions("table:read", "seat:manage")
    list_display = ["table", "number", "user", "stack", "status", "leaving"]
    list_filter = ["status", "table"]
    actions = ["remove_players"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(user__isnull=False).select_related("table", "user")

    def has_remove_players_permission(self, request) -> bool:
        return self._allows(request, "change")

    @admin.action(description=_("Remove the selected players from their seats"), permissions=["remove_players"])
    def remove_players(self, request, queryset):
        for seat in queryset:
            try:
                seating.stand_up(table=seat.table, user=seat.user, actor=request.user)
            except ValidationError as error:
                self.message_user(request, f"{seat}: {' '.join(error.messages)}", messages.ERROR)
        self.message_user(request, _("The players stand up (after the hand in play)."), messages.SUCCESS)


@admin.register(m.Hand)
class HandAdmin(ReadOnly):
    permission_resource = "hand"
    permissions = admin_permissions("hand:read")
    list_display = ["table", "number", "ended_at", "button_seat", "rake"]
    list_filter = ["table"]
    readonly_fields = [
        "table",
        "number",
        "started_at",
        "ended_at",
        "button_seat",
        "seats",
        "starting_stacks",
        "final_stacks",
        "rake",
        "rake_per_pot",
        "deck_hash",
        "deck",
        "salt",
        "events",
        "actions",
    ]


@admin.register(m.HandArchive)
class HandArchiveAdmin(ReadOnly):
    permission_resource = "hand"
    permissions = admin_permissions("hand:read")
    list_display = ["table", "first_number", "last_number", "count", "created_at"]
    exclude = ["data"]

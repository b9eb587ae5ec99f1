"""Rooms, tables, seats and finished hands of a card room (seed 004).

Between hands the database is the truth (who sits where with which stack); during a hand
the table's live state is in Redis (apps.club.live) and reaches the database at hand end
(write-behind): one `Hand` row carrying its events in order, the seats' new stacks, and the
wallet's rake transfer, in one transaction.
"""

from __future__ import annotations

import pgtrigger
from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.wallet.models import PROTECT_WHERE_PRESENT

STAKES = [(1_000, 2_000), (5_000, 10_000), (25_000, 50_000)]


class Room(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("room")
        verbose_name_plural = _("rooms")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Table(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    room = models.ForeignKey(Room, on_delete=models.PROTECT, related_name="tables")
    name = models.CharField(_("name"), max_length=100)
    small_blind = models.BigIntegerField(_("small blind (KRW)"))
    big_blind = models.BigIntegerField(_("big blind (KRW)"))
    max_seats = models.PositiveSmallIntegerField(_("seats"), choices=[(6, "6-max"), (9, "9-max")], default=9)
    min_buy_in_bb = models.PositiveSmallIntegerField(_("minimum buy-in (big blinds)"), default=40)
    max_buy_in_bb = models.PositiveSmallIntegerField(_("maximum buy-in (big blinds)"), default=100)
    action_seconds = models.PositiveSmallIntegerField(_("action clock (seconds)"), default=20)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    hands_played = models.PositiveIntegerField(_("hands played"), default=0)
    button_seat = models.PositiveSmallIntegerField(_("button seat"), null=True, blank=True)
    # The last hand's blinds' seats: the dead-button rule (apps.club.engine.plan_hand) moves
    # the big blind on from here, the small blind and the button behind it.
    small_blind_seat = models.PositiveSmallIntegerField(_("small blind seat"), null=True, blank=True)
    big_blind_seat = models.PositiveSmallIntegerField(_("big blind seat"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("table")
        verbose_name_plural = _("tables")
        ordering = ["big_blind", "name"]
        constraints = [
            models.UniqueConstraint(fields=["room", "name"], name="club_table_name_per_room"),
            models.CheckConstraint(
                condition=models.Q(min_buy_in_bb__gt=0, max_buy_in_bb__gte=models.F("min_buy_in_bb")),
                name="club_table_buy_in_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ₩{self.small_blind:,}/₩{self.big_blind:,}"

    @property
    def escrow_ref(self) -> str:
        """The wallet's escrow account of this table."""
        return f"club-table-{self.pk}"

    @property
    def min_buy_in(self) -> int:
        return self.min_buy_in_bb * self.big_blind

    @property
    def max_buy_in(self) -> int:
        return self.max_buy_in_bb * self.big_blind


class Seat(models.Model):
    """A place at a table. `session` counts the players who sat here: a buy-in and its
    cash-out are keyed by it, so a retry moves money once."""

    class Status(models.TextChoices):
        EMPTY = "empty", _("Empty")
        ACTIVE = "active", _("Playing")
        SITTING_OUT = "sitting_out", _("Sitting out")

    table = models.ForeignKey(Table, on_delete=models.CASCADE, related_name="seats")
    number = models.PositiveSmallIntegerField(_("seat"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=PROTECT_WHERE_PRESENT, null=True, blank=True, related_name="club_seats"
    )
    stack = models.BigIntegerField(_("stack (KRW)"), default=0)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.EMPTY)
    session = models.PositiveIntegerField(default=0)
    missed_hands = models.PositiveSmallIntegerField(default=0)
    leaving = models.BooleanField(default=False)  # stands up when the current hand ends
    buy_in_key = models.CharField(max_length=80, blank=True)  # the client's key of this session's buy-in
    # Seconds left in the player's time bank (spent after a turn's clock runs out), and the
    # hands dealt to them since it last refilled (apps.club.live, settings CLUB_TIME_BANK_*).
    # New at the table or back after missing a hand: dealt in when the big blind reaches them.
    waiting_for_bb = models.BooleanField(default=False)
    time_bank = models.FloatField(_("time bank (seconds)"), default=0.0)
    bank_hands = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("seat")
        verbose_name_plural = _("seats")
        ordering = ["table", "number"]
        constraints = [
            models.UniqueConstraint(fields=["table", "number"], name="club_seat_number"),
            models.UniqueConstraint(
                fields=["table", "user"], condition=models.Q(user__isnull=False), name="club_one_seat_per_table"
            ),
            models.CheckConstraint(condition=models.Q(stack__gte=0), name="club_seat_stack_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.table_id}#{self.number}"


class WaitingEntry(models.Model):
    table = models.ForeignKey(Table, on_delete=models.CASCADE, related_name="waiting")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=PROTECT_WHERE_PRESENT, related_name="club_waiting")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("waiting list entry")
        verbose_name_plural = _("waiting list")
        ordering = ["table", "created_at", "id"]
        constraints = [models.UniqueConstraint(fields=["table", "user"], name="club_wait_once")]

    def __str__(self) -> str:
        return f"{self.table_id}:{self.user_id}"


class Hand(models.Model):
    """A finished hand, written once at its end (never updated; archiving moves old ones
    into `HandArchive` batches)."""

    table = models.ForeignKey(Table, on_delete=models.PROTECT, related_name="hands")
    number = models.PositiveIntegerField(_("hand number"))
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField()
    button_seat = models.PositiveSmallIntegerField()
    small_blind = models.BigIntegerField()
    big_blind = models.BigIntegerField()
    # pokerkit positions in order (index 0 = small blind, or the big blind when the small
    # blind is dead … last = the seat before the button): seat, user id and what they posted
    seats = models.JSONField()
    players = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="HandPlayer", related_name="club_hands", blank=True
    )
    starting_stacks = models.JSONField()
    final_stacks = models.JSONField()
    rake = models.BigIntegerField(default=0)
    rake_per_pot = models.JSONField(default=list)
    deck_hash = models.CharField(max_length=64)
    deck = models.CharField(max_length=104)  # 52 cards, two characters each, in dealing order
    salt = models.CharField(max_length=64)
    events = models.JSONField()  # every event of the hand, in order
    actions = models.JSONField()  # the PHH action lines pokerkit replays

    class Meta:
        verbose_name = _("hand")
        verbose_name_plural = _("hands")
        ordering = ["-ended_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["table", "number"], name="club_hand_number")]
        triggers = [pgtrigger.Protect(name="no_update", operation=pgtrigger.Update)]

    def __str__(self) -> str:
        return f"{self.table_id}:{self.number}"

    @property
    def ref(self) -> str:
        return f"hand-{self.number}"


class HandPlayer(models.Model):
    """Who was dealt into a hand (a player's `own` hands). An explicit table so that deleting
    a user elsewhere (an academy's) looks for no club table: PROTECT where it exists."""

    hand = models.ForeignKey(Hand, on_delete=models.CASCADE)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=PROTECT_WHERE_PRESENT, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["hand", "user"], name="club_hand_player_once")]

    def __str__(self) -> str:
        return f"{self.hand_id}:{self.user_id}"


class HandArchive(models.Model):
    """Older hands, msgpack + gzip, a batch per table and range of hand numbers (seed 004)."""

    table = models.ForeignKey(Table, on_delete=models.PROTECT, related_name="archives")
    first_number = models.PositiveIntegerField()
    last_number = models.PositiveIntegerField()
    count = models.PositiveIntegerField()
    data = models.BinaryField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("hand archive")
        verbose_name_plural = _("hand archives")
        ordering = ["table", "first_number"]
        triggers = [pgtrigger.Protect(name="no_update", operation=pgtrigger.Update)]

    def __str__(self) -> str:
        return f"{self.table_id}:{self.first_number}-{self.last_number}"

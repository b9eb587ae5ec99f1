from __future__ import annotations

from rest_framework import serializers

from ..models import Hand, Seat, Table


class TableSerializer(serializers.ModelSerializer):
    room = serializers.CharField(source="room.name", read_only=True)
    seated = serializers.IntegerField(read_only=True)
    waiting = serializers.IntegerField(source="waiting_count", read_only=True)
    min_buy_in = serializers.IntegerField(read_only=True)
    max_buy_in = serializers.IntegerField(read_only=True)

    class Meta:
        model = Table
        fields = [
            "id",
            "room",
            "name",
            "small_blind",
            "big_blind",
            "max_seats",
            "min_buy_in",
            "max_buy_in",
            "action_seconds",
            "status",
            "hands_played",
            "seated",
            "waiting",
        ]


class SeatSerializer(serializers.ModelSerializer):
    player = serializers.SerializerMethodField()

    class Meta:
        model = Seat
        fields = ["number", "player", "stack", "status"]

    def get_player(self, seat: Seat) -> str | None:
        if seat.user_id is None:
            return None
        return seat.user.display_name or seat.user.username


class TableDetailSerializer(TableSerializer):
    seats = SeatSerializer(many=True, read_only=True)

    class Meta(TableSerializer.Meta):
        fields = [*TableSerializer.Meta.fields, "seats"]


class HandSerializer(serializers.ModelSerializer):
    class Meta:
        model = Hand
        fields = [
            "id",
            "table",
            "number",
            "started_at",
            "ended_at",
            "button_seat",
            "small_blind",
            "big_blind",
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


class SeatRequestSerializer(serializers.Serializer):
    seat = serializers.IntegerField(min_value=1, max_value=9)
    amount = serializers.IntegerField(min_value=1, max_value=10**12)

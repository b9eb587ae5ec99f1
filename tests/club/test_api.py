"""The REST API and services in one club's transaction (no sockets): tables, seats with
idempotent buy-ins, hands scoped to the players dealt in, PHH, verify_hands, archiving."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from apps.club import live
from apps.club.models import Hand, HandArchive, Seat
from apps.club.services import archive, seating, verify
from apps.wallet.services import core

from .conftest import scripted_deck

pytestmark = pytest.mark.django_db


@pytest.fixture
def club(tenants, member):
    t = tenants["club"]
    players = []
    for _ in range(3):
        user, client = member("club", "player")
        with t.context():
            core.transfer(
                key=f"fund:{user.pk}",
                kind="adjustment",
                legs=[(core.house_account("equity"), -1_000_000), (core.player_account(user), 1_000_000)],
            )
        players.append((user, client))
    with t.context():
        room = seating.create_room(name="API room")
        table = seating.open_table(room=room, name="A1", small_blind=5_000, big_blind=10_000, max_seats=9)
    t.table = table
    t.players = players
    yield t
    with t.context():
        live.redis().delete(live.table_key(table.pk))


def play_hand(t, deck, script):
    """Deal and play `script` [(user, action, amount)] through live.act."""
    with t.context():
        hand = live.start_hand(t.table.pk, deck=deck)
        for i, (user, action, amount) in enumerate(script):
            current = live.load(t.table.pk)
            street = live.engine.street(live.game_of(t.table.pk, current).state)
            message = {"hand": hand["setup"]["number"], "street": street, "id": i, "action": action}
            if amount:
                message["amount"] = amount
            ack = live.act(t.table.pk, user, message)
            assert ack["ok"], ack
        assert live.load(t.table.pk) is None, "the hand did not end"
        return hand


def seat_two_and_deal(club, a, b) -> int:
    """a in seat 1 (₩1,000,000) and b in seat 2 (₩500,000), a hand dealt from a known deck
    (a holds 7c2s, b AhAd); returns the hand's number. Inside club.context()."""
    seating.take_seat(table=club.table, user=a, seat_number=1, amount=1_000_000, key="a")
    seating.take_seat(table=club.table, user=b, seat_number=2, amount=500_000, key="b")
    hand = live.start_hand(club.table.pk, deck=scripted_deck(["7c2s", "AhAd"], "KdQc3s8h9d"))
    return hand["setup"]["number"]


def test_seat_with_an_idempotent_buy_in_and_clear_refusals(club):
    (user, client), (other, other_client), _ = club.players
    url = f"/api/v1/club/tables/{club.table.pk}/seat/"
    assert client.post(url, {"seat": 2, "amount": 500_000}, content_type="application/json").status_code == 400
    for _ in range(2):
        response = client.post(
            url, {"seat": 2, "amount": 500_000}, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k1"
        )
        assert response.status_code == 200, response.content
        assert response.json() == {"seat": 2, "status": "active"}
    with club.context():
        assert core.player_account(user).balance == 500_000  # charged once
    low = other_client.post(
        url, {"seat": 3, "amount": 100_000}, content_type="application/json", HTTP_IDEMPOTENCY_KEY="x"
    )
    assert (
        low.status_code == 400 and "amount" in low.json()["errors"]
        if "errors" in low.json()
        else "amount" in str(low.json())
    )
    taken = other_client.post(
        url, {"seat": 2, "amount": 400_000}, content_type="application/json", HTTP_IDEMPOTENCY_KEY="y"
    )
    assert taken.status_code == 400 and "seat" in str(taken.json())
    poor = other_client.post(
        url, {"seat": 3, "amount": 1_000_000}, content_type="application/json", HTTP_IDEMPOTENCY_KEY="z"
    )
    assert poor.status_code == 200
    with club.context():
        assert core.player_account(other).balance == 0
        with pytest.raises(ValidationError):  # nothing left: refused, nothing written
            seating.take_seat(table=club.table, user=other, seat_number=4, amount=400_000, key="again")
    detail = client.get(f"/api/v1/club/tables/{club.table.pk}/").json()
    assert [s["stack"] for s in detail["seats"] if s["player"]] == [500_000, 1_000_000]
    listed = client.get("/api/v1/club/tables/").json()
    rows = listed["results"] if isinstance(listed, dict) else listed
    assert {row["id"]: row["seated"] for row in rows}[club.table.pk] == 2
    assert client.post(f"/api/v1/club/tables/{club.table.pk}/leave/").status_code == 200
    with club.context():
        assert core.player_account(user).balance == 1_000_000
        assert Seat.objects.get(table=club.table, number=2).user is None


def test_hands_are_scoped_to_their_players_replay_clean_and_archive(club):
    (a, a_client), (b, _), (_, c_client) = club.players
    with club.context():
        seating.take_seat(table=club.table, user=a, seat_number=1, amount=1_000_000, key="a")
        seating.take_seat(table=club.table, user=b, seat_number=2, amount=500_000, key="b")
    # heads-up, button seat 1 (a: small blind, acts first): a raises, b calls, checks down
    play_hand(
        club,
        scripted_deck(["7c2s", "AhAd"], "KdQc3s8h9d"),
        [(a, "raise", 30_000), (b, "call", None)] + [(b, "check", None), (a, "check", None)] * 3,
    )
    # second hand: the button moves to seat 2; a (seat 1) is the big blind; b folds
    play_hand(club, scripted_deck(["7c2s", "AhAd"]), [(b, "fold", None)])
    hands = a_client.get("/api/v1/club/hands/").json()
    rows = hands["results"] if isinstance(hands, dict) else hands
    assert len(rows) == 2 and rows[0]["number"] == 2
    assert rows[1]["rake"] == 3_000  # 5 % of ₩60,000
    other = c_client.get("/api/v1/club/hands/").json()
    assert (other["results"] if isinstance(other, dict) else other) == []
    hand_id = rows[1]["id"]
    assert c_client.get(f"/api/v1/club/hands/{hand_id}/").status_code == 404
    phh = a_client.get(f"/api/v1/club/hands/{hand_id}/phh/").json()["phh"]
    assert "currency = 'KRW'" in phh and "d dh p1 7c2s" in phh
    page = a_client.get(f"/club/hands/{hand_id}/phh/")
    assert page.status_code == 200 and page.content.decode() == phh
    with club.context():
        assert verify.problems() == (2, [])
        call_command("verify_hands", schema=club.schema)
        assert archive.archive_hands(older_than_days=-1) == 2
        assert Hand.objects.filter(table=club.table).count() == 0
        assert HandArchive.objects.get(table=club.table).count == 2
        assert verify.problems() == (2, [])


def test_verify_hands_finds_a_hand_that_does_not_replay_to_what_was_booked(club):
    (a, _), (b, _), _ = club.players
    with club.context():
        seating.take_seat(table=club.table, user=a, seat_number=1, amount=1_000_000, key="a")
        seating.take_seat(table=club.table, user=b, seat_number=2, amount=500_000, key="b")
    play_hand(club, scripted_deck(["7c2s", "AhAd"]), [(a, "fold", None)])
    with club.context():
        real = Hand.objects.get(table=club.table)
        fields = {f.name: getattr(real, f.name) for f in Hand._meta.concrete_fields if f.name not in ("id",)}
        forged = Hand.objects.create(**{**fields, "number": 99, "final_stacks": [1_000_000, 500_000]})
        checked, found = verify.problems()
        assert checked == 2
        assert any("hand 99" in line and "replayed stacks" in line for line in found)
        assert any("hand 99" in line and "wallet booked rake" not in line for line in found)
        forged.players.clear()


def test_another_tenants_session_reads_no_club_tables(club, tenants, member):
    _, store_client = member("store", "owner")
    response = store_client.get("/api/v1/club/tables/")
    assert response.status_code == 404
    _, client = club.players[0]
    cross = tenants["store"].client()
    cross.cookies = client.cookies
    assert cross.get("/api/v1/club/tables/").status_code in (401, 403, 404)


def test_a_hand_left_in_redis_by_an_earlier_life_of_the_table_is_voided_not_booked(club):
    (a, _), (b, _), _ = club.players
    with club.context():
        seating.take_seat(table=club.table, user=a, seat_number=1, amount=1_000_000, key="a")
        seating.take_seat(table=club.table, user=b, seat_number=2, amount=500_000, key="b")
        hand = live.start_hand(club.table.pk, deck=scripted_deck(["7c2s", "AhAd"]))
        # The table's history moved on without this hand (the club was dropped and made again).
        type(club.table).objects.filter(pk=club.table.pk).update(hands_played=7)
        message = {"hand": hand["setup"]["number"], "street": "preflop", "id": "x", "action": "fold"}
        assert live.act(club.table.pk, a, message)["ok"]
        assert live.load(club.table.pk) is None
        assert not Hand.objects.filter(table=club.table).exists()
        assert sorted(Seat.objects.filter(table=club.table, user__isnull=False).values_list("stack", flat=True)) == [
            500_000,
            1_000_000,
        ]


def test_a_process_catches_up_with_actions_another_process_applied(club):
    from apps.club import engine

    (a, _), (b, _), _ = club.players
    with club.context():
        n = seat_two_and_deal(club, a, b)
        assert live.act(club.table.pk, a, {"hand": n, "street": "preflop", "id": 1, "action": "call"})["ok"]
        # Another process: b checks; this process's cached state has not seen it.
        stored = live.load(club.table.pk)
        elsewhere = engine.replay(engine.Setup.from_dict(stored["setup"]), stored["actions"])
        engine.apply(elsewhere, {"user": b.pk, "action": "check"})
        stored["actions"].append({"user": b.pk, "action": "check"})
        stored["version"] += 1
        stored["ops_seen"] = len(elsewhere.state.operations)
        live.save(club.table.pk, stored)
        assert live.act(club.table.pk, b, {"hand": n, "street": "flop", "id": 2, "action": "check"})["ok"]
        mine = live.game_of(club.table.pk, live.load(club.table.pk))
        again = engine.replay(engine.Setup.from_dict(stored["setup"]), live.load(club.table.pk)["actions"])
        assert mine.applied == again.applied == 3
        assert list(mine.state.stacks) == list(again.state.stacks) and engine.street(mine.state) == "flop"
        assert mine.state.actor_index == again.state.actor_index


def test_the_lobby_and_table_views_are_cached_until_the_tables_change(club):
    """The second read of the lobby or a table runs no query of the view's own (only the
    request's: session, user, roles); a seat taken, a hand booked or a table saved moves the
    tables version on, and the next read shows it."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    (_, client), (other, _), _ = club.players
    lobby, detail = "/api/v1/club/tables/", f"/api/v1/club/tables/{club.table.pk}/"

    def seated(response):
        rows = response.json()["results"]
        return {row["id"]: row["seated"] for row in rows}[club.table.pk]

    assert seated(client.get(lobby)) == 0
    client.get(detail)
    for path in (lobby, detail):
        with CaptureQueriesContext(connection) as queries:
            client.get(path)
        assert not [q for q in queries.captured_queries if 'FROM "club_' in q["sql"]], path
    with club.context():
        seating.take_seat(table=club.table, user=other, seat_number=3, amount=400_000, key="cached")
    assert seated(client.get(lobby)) == 1
    assert [s["stack"] for s in client.get(detail).json()["seats"] if s["player"]] == [400_000]
    with club.context():  # a save outside the services (the admin's change form) too
        club.table.name = "A1 renamed"
        club.table.save()
    assert client.get(detail).json()["name"] == "A1 renamed"
    assert {row["name"] for row in client.get(lobby).json()["results"]} >= {"A1 renamed"}


def test_a_tables_cached_detail_outlives_other_tables_changes_but_not_its_own(club):
    """The detail is keyed by its table's own version: another table's seats, deal, booking
    and save leave it cached (the club-wide version they move made it miss); a change to
    the table itself (its seats, its room) shows at once."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    (a, client), (b, _), _ = club.players
    detail = f"/api/v1/club/tables/{club.table.pk}/"

    def reads_rows() -> bool:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(detail)
        assert response.status_code == 200
        return bool([q for q in queries.captured_queries if 'FROM "club_' in q["sql"]])

    with club.context():
        other = seating.open_table(room=club.table.room, name="A2", small_blind=5_000, big_blind=10_000, max_seats=6)
    client.get(detail)
    assert not reads_rows()
    try:
        with club.context():
            seating.take_seat(table=other, user=a, seat_number=1, amount=400_000, key="o-a")
            seating.take_seat(table=other, user=b, seat_number=2, amount=400_000, key="o-b")
            hand = live.start_hand(other.pk, deck=scripted_deck(["7c2s", "AhAd"]))
            first = live.game_of(other.pk, live.load(other.pk)).state.actor_index
            actor = {a.pk: a, b.pk: b}[hand["setup"]["users"][first]]
            message = {"hand": hand["setup"]["number"], "street": "preflop", "id": 1, "action": "fold"}
            assert live.act(other.pk, actor, message)["ok"]
            assert Hand.objects.filter(table=other).count() == 1  # booked: seats and table saved
            other.name = "A2 renamed"
            other.save()
        assert not reads_rows(), "another table's change invalidated this table's cached detail"
        with club.context():
            seating.take_seat(table=club.table, user=a, seat_number=4, amount=400_000, key="own")
        assert reads_rows()
        assert [s["stack"] for s in client.get(detail).json()["seats"] if s["player"]] == [400_000]
        assert not reads_rows()
        with club.context():
            room = club.table.room
            room.name = "API room renamed"
            room.save()
        assert client.get(detail).json()["room"] == "API room renamed"
    finally:
        with club.context():
            live.redis().delete(live.table_key(other.pk))


class RoundTrips:
    """Counts the requests sent to Redis (one per command, one per pipeline or script call)
    by every redis-py connection, passing each through; not a new connection's own set-up."""

    SETUP = {b"CLIENT", b"HELLO", b"SELECT", b"AUTH", b"PING"}

    def __init__(self, monkeypatch):
        import redis.connection

        self.sent: list[bytes] = []
        send = redis.connection.AbstractConnection.send_packed_command

        def counted(connection, command, check_health=True):
            packed = command if isinstance(command, bytes) else b"".join(command)
            if packed.split(b"\r\n")[2].upper() not in self.SETUP:  # a new connection's handshake
                self.sent.append(packed)
            return send(connection, command, check_health)

        monkeypatch.setattr(redis.connection.AbstractConnection, "send_packed_command", counted)


def test_an_action_makes_two_redis_round_trips(club, monkeypatch):
    """The lock and the hand in one script call; the hand stored, numbered, published and the
    lock released in another (it was five: the lock, the hand, the store, the publish, the
    release)."""
    (a, _), (b, _), _ = club.players
    with club.context():
        n = seat_two_and_deal(club, a, b)
        live.act(club.table.pk, a, {"hand": n, "street": "preflop", "id": 0, "action": "bogus"})  # scripts loaded
        trips = RoundTrips(monkeypatch)
        assert live.act(club.table.pk, a, {"hand": n, "street": "preflop", "id": 1, "action": "call"})["ok"]
        print(f"round trips per action: {len(trips.sent)}")
        assert len(trips.sent) == 2, trips.sent
        stored = live.load(club.table.pk)
        assert stored["version"] == 1 and stored["client_ids"] == ["1"]
        assert int(live.redis().hget(live.table_key(club.table.pk), "seq")) == 2  # hand_start, update
        assert not live.redis().exists(live._key("lock", club.table.pk))
        trips.sent.clear()
        refused = live.act(club.table.pk, b, {"hand": n, "street": "river", "id": 2, "action": "check"})
        assert refused["code"] == "stale" and len(trips.sent) == 2  # take, release
        assert live.act(club.table.pk, b, {"hand": n, "street": "flop", "id": 1, "action": "check"})["code"] == (
            "repeated"
        )

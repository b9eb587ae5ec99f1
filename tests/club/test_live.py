"""More hands through the real consumers: all-ins and side pots, a split pot, the clock,
reconnecting, sequence gaps, connection limits, the heartbeat, the driver's lease, and
another club's sockets."""

from __future__ import annotations

import asyncio
import time

from channels.db import database_sync_to_async

from apps.club import driver, live
from apps.club.lobby import publish_digest
from apps.club.models import Hand, Seat
from apps.core.websocket import CloseCode

from .conftest import connect, scripted_deck
from .test_play import act, booked, cards_in, deal, sit


def in_club(t, func):
    def run():
        with t.context():
            return func()

    return database_sync_to_async(run)()


async def table_socks(t, *names, protocol="club.json.v1"):
    socks = {}
    for name in names:
        socks[name] = await connect(t.domain, f"/ws/club/table/{t.table.pk}/", t.cookies[name], protocol)
        await socks[name].until("snapshot")
    return socks


async def test_all_ins_make_a_side_pot_that_pokerkit_splits_and_the_rake_is_capped_per_hand(club_table):
    t = club_table
    p0, p1, p2, _ = t.users
    socks = await table_socks(t, "p0", "p1", "p2")
    await sit(t, p0, 1, 200_000)
    await sit(t, p1, 3, 80_000)
    await sit(t, p2, 5, 120_000)
    # positions: SB seat 3 (p1, AA), BB seat 5 (p2, KK), button seat 1 (p0, QQ)
    hand = await deal(t, scripted_deck(["AhAd", "KhKd", "QhQd"], "2c7s9cJs3c"))
    n = hand["setup"]["number"]
    assert (await act(socks["p0"], n, "preflop", 1, "raise", 200_000))["ok"]
    assert (await act(socks["p1"], n, "preflop", 2, "call"))["ok"]
    assert (await act(socks["p2"], n, "preflop", 3, "call"))["ok"]
    end = await socks["p0"].until("hand_end")
    await booked()
    # main pot ₩240,000 (all three) to AA, side pot ₩80,000 (p0, p2) to KK, p0's uncalled
    # ₩80,000 back unraked; rake 5 % of ₩320,000 capped at ₩6,000 for the hand, split
    # ₩4,500 / ₩1,500 across the pots (pokerkit's own rake would have capped each pot).
    assert end["stacks"] == {"1": 80_000, "3": 235_500, "5": 78_500}
    assert end["rake"] == 6_000
    row = await in_club(t, lambda: Hand.objects.get(table=t.table, number=n))
    assert row.rake_per_pot == [4_500, 1_500]
    assert row.pk == end["hand_id"]  # named by hand_end before its booking wrote it


async def test_a_split_pot_heads_up(club_table):
    t = club_table
    p0, p1, _, _ = t.users
    socks = await table_socks(t, "p0", "p1")
    await sit(t, p0, 1)
    await sit(t, p1, 3)
    # heads-up: the button (seat 1, p0) posts the small blind and acts first preflop
    hand = await deal(t, scripted_deck(["AhKd", "AcKs"], "2c7d9hJsQh"))
    n = hand["setup"]["number"]
    assert hand["setup"]["seats"] == [3, 1]
    assert (await act(socks["p0"], n, "preflop", "a", "call"))["ok"]
    assert (await act(socks["p1"], n, "preflop", "b", "check"))["ok"]
    for street in ("flop", "turn", "river"):
        assert (await act(socks["p1"], n, street, f"b{street}", "check"))["ok"]
        assert (await act(socks["p0"], n, street, f"a{street}", "check"))["ok"]
    end = await socks["p1"].until("hand_end")
    assert end["rake"] == 200 and end["stacks"] == {"1": 99_900, "3": 99_900}


async def test_the_clock_checks_or_folds_and_sits_the_player_out(club_table, settings):
    settings.CLUB_TIME_BANK_SECONDS = 0  # no time bank: the clock alone (the bank: below)
    t = club_table
    p0, p1, p2, _ = t.users
    socks = await table_socks(t, "p0", "p2")
    for user, seat in ((p0, 1), (p1, 3), (p2, 5)):
        await sit(t, user, seat)
    hand = await deal(t, scripted_deck(["AhAd", "KhKd", "QhQd"]))
    deadline = hand["deadline"]
    await in_club(t, lambda: live.tick(now=deadline - 1))
    assert (await in_club(t, lambda: live.load(t.table.pk)))["actions"] == []  # not yet
    await in_club(t, lambda: live.tick(now=deadline + 0.1))  # button p0 faces the blind: folds
    update = await socks["p2"].until("update")
    assert update["events"][0] == {"op": "fold", "seat": 1, "timeout": True}
    await in_club(t, lambda: live.tick(now=time.time() + 3600))  # SB p1 folds too
    end = await socks["p2"].until("hand_end")
    assert end["rake"] == 0  # no flop, no drop
    await booked()
    statuses = await in_club(t, lambda: dict(Seat.objects.filter(table=t.table).values_list("number", "status")))
    assert statuses[1] == statuses[3] == Seat.Status.SITTING_OUT and statuses[5] == Seat.Status.ACTIVE


def _clock_ran_out(t, ago: float) -> dict:
    """Move the turn's deadline `ago` seconds into the past (as if the player had sat on it)."""
    with t.context(), live.table_lock(t.table.pk):
        hand = live.load(t.table.pk)
        hand["deadline"] = time.time() - ago
        live.save(t.table.pk, hand)
        return hand


async def test_the_time_bank_runs_after_the_clock_and_what_is_left_is_kept(club_table, settings):
    settings.CLUB_TIME_BANK_SECONDS = 30
    t = club_table
    p0, p1, p2, _ = t.users
    socks = await table_socks(t, "p0", "p2")
    for user, seat in ((p0, 1), (p1, 3), (p2, 5)):
        await sit(t, user, seat)
    hand = await deal(t, scripted_deck(["AhAd", "KhKd", "QhQd"]))
    n = hand["setup"]["number"]
    start = await socks["p2"].until("hand_start")
    assert start["hand"]["clock"] == "action" and start["hand"]["banks"] == {"3": 30, "5": 30, "1": 30}
    # The button (seat 1, p0) lets the 20 s clock run out: the driver puts them on their bank.
    ran_out = await in_club(t, lambda: _clock_ran_out(t, 1.0))
    await in_club(t, live.tick)
    timer = await socks["p2"].until("timer")
    assert timer["seat"] == 1 and timer["clock"] == "time_bank" and timer["bank"] == 30
    assert timer["deadline"] == ran_out["deadline"] + 30  # from when the clock ran out
    assert timer["seq"] == start["seq"] + 1  # a table message like any other
    await in_club(t, live.tick)  # still on the bank: nothing more happens
    assert (await in_club(t, lambda: live.load(t.table.pk)))["actions"] == []
    # The player acts on the bank: about a second of it is gone, the rest kept.
    assert (await act(socks["p0"], n, "preflop", "a", "call"))["ok"]
    update = await socks["p2"].until("update")
    assert update["hand"]["clock"] == "action" and update["hand"]["actor"] == 3
    assert 28 <= update["hand"]["banks"]["1"] <= 29.5 and update["hand"]["banks"]["3"] == 30
    # The small blind (p1) has no socket: clock, then the whole bank, then it folds for them.
    await in_club(t, lambda: _clock_ran_out(t, 0.1))
    await in_club(t, live.tick)
    assert (await socks["p2"].until("timer"))["seat"] == 3
    hand_now = await in_club(t, lambda: live.load(t.table.pk))
    await in_club(t, lambda: live.tick(now=hand_now["deadline"] - 0.5))
    assert (await in_club(t, lambda: live.load(t.table.pk)))["actions"] == [{"user": p0.pk, "action": "call"}]
    await in_club(t, lambda: live.tick(now=hand_now["deadline"] + 0.1))
    folded = await socks["p2"].until("update")
    assert folded["events"][0] == {"op": "fold", "seat": 3, "timeout": True}
    assert folded["hand"]["banks"]["3"] == 0
    assert (await act(socks["p2"], n, "preflop", "c", "check"))["ok"]
    await socks["p2"].until("update")  # the flop
    # The hand ends; the banks as left are written to the seats with the stacks.
    assert (await act(socks["p2"], n, "flop", "c2", "bet", 2_000))["ok"]
    assert (await act(socks["p0"], n, "flop", "a2", "fold"))["ok"]
    await socks["p2"].until("hand_end")
    await booked()
    banks = await in_club(
        t, lambda: dict(Seat.objects.filter(table=t.table, user__isnull=False).values_list("number", "time_bank"))
    )
    assert banks[3] == 0 and banks[5] == 30 and 28 <= banks[1] <= 29.5


async def test_the_time_bank_refills_every_n_hands_up_to_its_maximum(club_table, settings):
    settings.CLUB_TIME_BANK_SECONDS = 5
    settings.CLUB_TIME_BANK_REFILL_HANDS = 2
    settings.CLUB_TIME_BANK_REFILL_SECONDS = 4
    settings.CLUB_TIME_BANK_MAX_SECONDS = 12
    t = club_table
    p0, p1, _, _ = t.users
    socks = await table_socks(t, "p0", "p1")
    await sit(t, p0, 1)
    await sit(t, p1, 3)
    banks = []
    for _i in range(6):
        hand = await deal(t, scripted_deck(["AhKd", "7c2s"]))
        n = hand["setup"]["number"]
        button = hand["setup"]["users"][1]  # heads-up: the button posts the small blind, acts first
        sock = socks["p0"] if button == p0.pk else socks["p1"]
        assert (await act(sock, n, "preflop", f"f{n}", "fold"))["ok"]
        await sock.until("hand_end", hand=n)
        await booked()
        banks.append(
            await in_club(
                t,
                lambda: sorted(
                    Seat.objects.filter(table=t.table, user__isnull=False).values_list("time_bank", "bank_hands")
                ),
            )
        )
    # every 2nd hand +4 s, from 5 s, capped at 12 s
    assert [b[0] for b in banks] == [(5, 1), (9, 0), (9, 1), (12, 0), (12, 1), (12, 0)]
    assert banks[0] == [(5, 1), (5, 1)]


async def test_reconnecting_restores_the_seat_and_the_players_own_cards_only(club_table):
    t = club_table
    p0, p1, _, _ = t.users
    socks = await table_socks(t, "p0", "p1")
    await sit(t, p0, 1)
    await sit(t, p1, 3)
    hand = await deal(t, scripted_deck(["7c2s", "AhKd"]))  # heads-up: seat 3 (p1) is position 0
    n = hand["setup"]["number"]
    assert (await act(socks["p0"], n, "preflop", "a", "call"))["ok"]
    await socks["p1"].close()
    again = await connect(t.domain, f"/ws/club/table/{t.table.pk}/", t.cookies["p1"], "club.msgpack.v1")
    snap = await again.until("snapshot")
    assert snap["you"] == {"seat": 3, "hole": ["7c", "2s"]}
    assert snap["hand"]["number"] == n and snap["hand"]["actor"] == 3
    spectator = await connect(t.domain, f"/ws/club/table/{t.table.pk}/", t.cookies["p3"])
    watched = await spectator.until("snapshot")
    assert watched["you"] is None and not cards_in(watched)
    assert (await act(again, n, "preflop", "b", "check"))["ok"]


async def test_a_client_that_sees_a_gap_asks_for_a_snapshot_and_catches_up(club_table):
    t = club_table
    p0, p1, _, _ = t.users
    socks = await table_socks(t, "p0", "p1")
    await sit(t, p0, 1)
    await sit(t, p1, 3)
    hand = await deal(t, scripted_deck(["7c2s", "AhKd"]))
    n = hand["setup"]["number"]
    await socks["p1"].drain()
    last = max(m["seq"] for m in socks["p1"].seen if "seq" in m)
    assert (await act(socks["p0"], n, "preflop", "a", "call"))["ok"]
    assert (await act(socks["p1"], n, "preflop", "b", "check"))["ok"]
    await socks["p1"].drain()
    # The client lost the first of these (pub/sub may drop on a reconnect): it sees a gap.
    updates = [m for m in socks["p1"].seen if m.get("t") == "update" and m["seq"] > last]
    assert updates[-1]["seq"] == last + 2
    received = [last, updates[-1]["seq"]]
    assert received[1] - received[0] > 1
    await socks["p1"].send({"t": "snapshot"})
    snap = await socks["p1"].until("snapshot")
    assert snap["seq"] == updates[-1]["seq"] and snap["hand"]["street"] == "flop"
    assert snap["you"]["hole"] == ["7c", "2s"]


async def test_a_fourth_socket_closes_the_oldest_and_a_full_process_refuses(club_table, settings):
    from apps.core import websocket

    t = club_table
    path = f"/ws/club/table/{t.table.pk}/"
    socks = [await connect(t.domain, path, t.cookies["p3"]) for _ in range(3)]
    for sock in socks:
        await sock.until("snapshot")
    fourth = await connect(t.domain, path, t.cookies["p3"])
    await fourth.until("snapshot")
    closed = await socks[0].ws.receive_output(timeout=5)
    assert closed == {"type": "websocket.close", "code": CloseCode.REPLACED, "reason": closed.get("reason")}
    # The registry in Redis knows this process's sockets (those of earlier tests' closed
    # loops reconciled away); at its cap, the next socket is refused 4503.
    await websocket.reconcile_sockets()
    here = (await database_sync_to_async(websocket.open_sockets)())[websocket.PROCESS_ID]
    assert here >= 3  # p3's three live sockets at least
    settings.WEBSOCKET_LIMITS = {**settings.WEBSOCKET_LIMITS, "connections_per_process": here}
    from channels.testing.websocket import WebsocketCommunicator

    from config.asgi import application

    refused = WebsocketCommunicator(
        application, path, headers=[(b"host", t.domain.encode()), (b"cookie", f"mc_session={t.cookies['p2']}".encode())]
    )
    connected, _ = await refused.connect(timeout=5)
    assert connected
    assert (await refused.receive_output(timeout=5))["code"] == CloseCode.UNAVAILABLE


async def test_a_silent_socket_is_closed_and_a_pinging_one_is_not(club_table, settings):
    settings.CLUB_HEARTBEAT_SECONDS = 0.6
    t = club_table
    silent = await connect(t.domain, f"/ws/club/table/{t.table.pk}/", t.cookies["p0"])
    talking = await connect(t.domain, "/ws/club/lobby/", t.cookies["p1"], "club.msgpack.v1")
    await silent.until("snapshot")
    await talking.until("lobby")
    for _ in range(6):
        await asyncio.sleep(0.2)
        await talking.send({"t": "ping"})
        await talking.until("pong")
    closed = await silent.ws.receive_output(timeout=2)
    assert closed["type"] == "websocket.close" and closed["code"] == 4000
    assert await talking.ws.receive_nothing(timeout=0.1)


async def test_a_dead_drivers_table_is_taken_over_when_its_lease_runs_out(club_table, settings):
    settings.CLUB_LEASE_SECONDS = 2
    settings.CLUB_TIME_BANK_SECONDS = 0
    t = club_table
    p0, p1, _, _ = t.users
    sock = (await table_socks(t, "p1"))["p1"]
    await sit(t, p0, 1)
    await sit(t, p1, 3)
    hand = await deal(t, scripted_deck(["AhKd", "7c2s"]))
    # Another process held the table and died (it never renews its lease again).
    assert await in_club(t, lambda: driver.holds_lease(t.table.pk, holder="dead-process"))
    late = hand["deadline"] + 1
    await in_club(t, lambda: live.tick(now=late))
    assert (await in_club(t, lambda: live.load(t.table.pk)))["actions"] == []  # not ours yet
    await asyncio.sleep(2.1)
    await in_club(t, lambda: live.tick(now=late))
    assert await in_club(t, lambda: driver.lease_holder(t.table.pk)) == driver.PROCESS
    end = await sock.until("hand_end")  # the button folded its small blind: p1 wins
    assert end["events"][0] == {"op": "fold", "seat": 1, "timeout": True}


async def test_a_hand_booked_by_a_process_that_died_before_clearing_it_is_finished_by_the_driver(
    club_table, monkeypatch
):
    t = club_table
    p0, p1, _, _ = t.users
    sock = (await table_socks(t, "p1"))["p1"]
    await sit(t, p0, 1)
    await sit(t, p1, 3)
    hand = await deal(t, scripted_deck(["AhKd", "7c2s"]))
    n = hand["setup"]["number"]
    real_save = live.save

    def dies_after_booking(table_id, stored):
        if stored is None:
            raise RuntimeError("the process died here")
        real_save(table_id, stored)

    monkeypatch.setattr(live, "save", dies_after_booking)
    with_fold = {"t": "act", "hand": n, "street": "preflop", "id": "last", "action": "fold"}
    assert (await in_club(t, lambda: live.act(t.table.pk, p0, with_fold)))["ok"]
    end = await sock.until("hand_end", hand=n)  # announced before the booking
    assert end["stacks"] == {"1": 99_000, "3": 101_000}  # the button folded its small blind
    await booked()  # booked, then "died" before clearing Redis
    monkeypatch.setattr(live, "save", real_save)
    # Booked once, but the finished hand is still in Redis: the next driver pass finishes it.
    assert await in_club(t, lambda: Hand.objects.filter(table=t.table, number=n).count()) == 1
    assert (await in_club(t, lambda: live.load(t.table.pk)))["actions"][-1]["action"] == "fold"
    await in_club(t, lambda: live.tick(now=time.time() + 3600))
    await sock.until("seats")
    assert await in_club(t, lambda: live.load(t.table.pk)) is None
    assert await in_club(t, lambda: Hand.objects.filter(table=t.table, number=n).count()) == 1
    assert not [m for m in await sock.drain() if m["t"] == "hand_end"]  # announced once


async def test_a_hand_its_process_announced_but_never_booked_is_booked_by_the_driver_after_its_grace(
    club_table, monkeypatch
):
    t = club_table
    p0, p1, _, _ = t.users
    sock = (await table_socks(t, "p1"))["p1"]
    await sit(t, p0, 1)
    await sit(t, p1, 3)
    hand = await deal(t, scripted_deck(["AhKd", "7c2s"]))
    n = hand["setup"]["number"]
    real_book_later = live._book_later
    monkeypatch.setattr(live, "_book_later", lambda table_id, number: None)  # died before the write-behind ran
    with_fold = {"t": "act", "hand": n, "street": "preflop", "id": "last", "action": "fold"}
    assert (await in_club(t, lambda: live.act(t.table.pk, p0, with_fold)))["ok"]
    monkeypatch.setattr(live, "_book_later", real_book_later)  # the driver's process, alive
    end = await sock.until("hand_end", hand=n)
    stored = await in_club(t, lambda: live.load(t.table.pk))
    assert stored["over"] and stored["announced"]
    assert await in_club(t, lambda: Hand.objects.filter(table=t.table, number=n).count()) == 0
    await in_club(t, lambda: live.tick(now=stored["deadline"] - 0.5))  # still within its grace
    assert await in_club(t, lambda: Hand.objects.filter(table=t.table, number=n).count()) == 0
    await in_club(t, lambda: live.tick(now=stored["deadline"] + 0.1))
    seats = await sock.until("seats")
    assert {s["seat"]: s["stack"] for s in seats["seats"] if s["user"]} == {1: 99_000, 3: 101_000}
    row = await in_club(t, lambda: Hand.objects.get(table=t.table, number=n))
    assert row.pk == end["hand_id"] and row.final_stacks == [101_000, 99_000]
    assert await in_club(t, lambda: live.load(t.table.pk)) is None
    assert not [m for m in await sock.drain() if m["t"] == "hand_end"]  # announced once


async def test_a_reconnecting_player_gets_a_snapshot_while_a_dead_process_holds_the_tables_lock(club_table):
    t = club_table
    p0, p1, _, _ = t.users
    await sit(t, p0, 1)
    await sit(t, p1, 3)
    hand = await deal(t, scripted_deck(["AhKd", "7c2s"]))

    def dead_process_holds_the_lock():
        with t.context():
            # what redis-py's Lock leaves behind, from a process killed inside a table change
            live.redis().set(live._key("lock", t.table.pk), "dead-process-token", px=live.LOCK_SECONDS * 1000)

    await database_sync_to_async(dead_process_holds_the_lock)()
    started = time.monotonic()
    sock = (await table_socks(t, "p0"))["p0"]
    snap = sock.seen[-1]
    assert time.monotonic() - started < 3  # not the lock's 10 s
    assert snap["t"] == "snapshot" and snap["hand"]["number"] == hand["setup"]["number"]
    assert snap["you"] == {"seat": 1, "hole": ["7c", "2s"]}  # heads-up: seat 3 is position 0


async def test_another_clubs_sockets_hear_nothing_and_its_sessions_do_not_open_sockets_here(club_table, other_club):
    t = club_table
    other = other_club
    cookie = other.cookie
    # Their session means nothing on this club's host, and this club's table is not theirs.
    from channels.testing.websocket import WebsocketCommunicator

    from config.asgi import application

    here = WebsocketCommunicator(
        application,
        f"/ws/club/table/{t.table.pk}/",
        headers=[(b"host", t.domain.encode()), (b"cookie", f"mc_session={cookie}".encode())],
    )
    assert (await here.connect(timeout=5))[0]
    assert (await here.receive_output(timeout=5))["code"] == CloseCode.UNAUTHENTICATED
    there = WebsocketCommunicator(
        application,
        f"/ws/club/table/{t.table.pk}/",
        headers=[(b"host", other.domain.encode()), (b"cookie", f"mc_session={cookie}".encode())],
    )
    assert (await there.connect(timeout=5))[0]
    assert (await there.receive_output(timeout=5))["code"] == CloseCode.NOT_FOUND
    lobby = await connect(other.domain, "/ws/club/lobby/", cookie)
    assert (await lobby.until("lobby"))["tables"] == []
    p0, p1, _, _ = t.users
    socks = await table_socks(t, "p0")
    await sit(t, p0, 1)
    await sit(t, p1, 3)
    await deal(t, scripted_deck(["AhKd", "7c2s"]))
    await socks["p0"].until("hole")
    await in_club(t, publish_digest)
    assert await lobby.ws.receive_nothing(timeout=0.5)
    assert not cards_in(lobby.seen)


async def test_table_messages_are_published_on_the_pubsub_layers_own_group_channel(club_table):
    """live publishes from its worker threads straight to Redis, on the channel the layer's
    group_send would use: an upgrade of channels-redis naming it otherwise fails here."""
    from channels.layers import get_channel_layer

    from apps.core.websocket import group_name

    layer = get_channel_layer(live.CHANNEL_LAYER)
    name = group_name(f"table.{club_table.table.pk}", club_table.schema)
    assert live.group_channel(name) == layer._get_layer()._get_group_channel_name(name)
    assert live._publisher(layer) is not None


def test_a_driver_pass_makes_the_same_three_round_trips_however_many_tables_it_holds(club_table, monkeypatch):
    """Each round trip is a wait for the GIL on the way back; a pass every 0.25 s over 64
    tables made two per table (the lease, then the hand)."""
    import json

    import redis as redis_py

    t = club_table
    trips = []
    execute = redis_py.client.Pipeline.execute

    def counted_execute(self, *args, **kwargs):
        trips.append("pipeline")
        return execute(self, *args, **kwargs)

    monkeypatch.setattr(redis_py.client.Pipeline, "execute", counted_execute)
    with t.context():
        client = live.redis()
        command = client.execute_command

        def counted_command(*args, **kwargs):
            trips.append(args[0])
            return command(*args, **kwargs)

        def run_pass(tables: list[int]) -> list:
            far = time.time() + 3600  # hands in play whose clocks have time left: nothing to do
            for table_id in tables:
                client.sadd(live.active_key(), table_id)
                client.hset(live.table_key(table_id), "hand", json.dumps({"deadline": far, "setup": {}}))
            trips.clear()
            client.execute_command = counted_command
            try:
                live.tick()
            finally:
                del client.execute_command
                for table_id in tables:
                    client.srem(live.active_key(), table_id)
                    client.delete(live.table_key(table_id))
            return trips[:]

        client.delete(live.active_key())  # earlier tests' tables: only these are looked at
        ids = [990_000 + n for n in range(8)]
        two = run_pass(ids[:2])
        eight = run_pass(ids)
        assert all(driver.lease_holder(table_id) == driver.PROCESS for table_id in ids)
        client.delete(*(driver.lease_key(str(table_id)) for table_id in ids))
    assert two == eight == ["SMEMBERS", "pipeline", "pipeline"]


def test_a_waiter_for_a_tables_lock_is_woken_by_the_release_not_by_polling(club_table, monkeypatch):
    """While another thread holds the lock, a waiter blocks on the table's wake-up list: a
    handful of round trips however long the lock is held (5 ms polling made ~60 in 300 ms),
    and it has the lock within milliseconds of the release."""
    import threading

    from .test_api import RoundTrips

    t = club_table
    taken, release = threading.Event(), threading.Event()
    released_at = []

    def holder():
        with t.context(), live.table_lock(t.table.pk):
            taken.set()
            release.wait(5)
            released_at.append(time.perf_counter())

    thread = threading.Thread(target=holder)
    thread.start()
    assert taken.wait(5)
    trips = RoundTrips(monkeypatch)
    mine = threading.get_ident()
    threading.Timer(0.3, release.set).start()
    with t.context():
        with live.table_lock(t.table.pk):
            got = time.perf_counter()
        thread.join(5)
    waited = got - released_at[0]
    print(f"lock taken {waited * 1000:.1f} ms after the release; {len(trips.sent)} round trips")
    assert waited < 0.1
    assert len(trips.sent) <= 8, trips.sent  # the waiter's and the holder's release (1)
    assert mine  # the counts above are both threads'

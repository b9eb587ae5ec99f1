"""Websocket limits (issue 12): sockets per user, messages per second, frame size and JSON
nesting, each refused with a clear close code or error message."""

import json

import pytest

from apps.core.jsondepth import TooDeep, check_depth, depth_exceeds
from apps.core.websocket import CloseCode
from tests.utils import make_user
from tests.websocket import close_code, open_socket

from .test_websocket import browser_login


@pytest.fixture
def two_academies(live_tenant):
    a, b = live_tenant("academy"), live_tenant("academy")
    for t in (a, b):
        with t.context():
            make_user("coach")  # same username and pk in both schemas
            make_user("desk")
    return {
        "a": a,
        "b": b,
        "coach_a": [browser_login(a, "coach") for _ in range(2)],
        "desk_a": browser_login(a, "desk"),
        "coach_b": browser_login(b, "coach"),
    }


async def hello(ws):
    assert (await ws.receive_json_from(timeout=5))["type"] == "hello"
    return ws


async def alive(ws) -> bool:
    await ws.send_json_to({"type": "ping", "echo": 1})
    return (await ws.receive_json_from(timeout=5))["type"] == "pong"


async def test_a_users_fourth_socket_closes_their_oldest_and_nobody_elses(two_academies):
    a, b = two_academies["a"], two_academies["b"]
    # three sockets of one user, from two browser sessions
    cookies = two_academies["coach_a"] * 2
    first, second, third = [await hello((await open_socket(a.domain, cookie=c))[0]) for c in cookies[:3]]
    desk = await hello((await open_socket(a.domain, cookie=two_academies["desk_a"]))[0])
    same_pk_elsewhere = await hello((await open_socket(b.domain, cookie=two_academies["coach_b"]))[0])
    assert await first.receive_nothing(timeout=0.3)

    fourth = await hello((await open_socket(a.domain, cookie=cookies[3]))[0])
    assert await close_code(first) == CloseCode.REPLACED == 4409
    for ws in (second, third, fourth, desk, same_pk_elsewhere):
        assert await alive(ws)

    # a closed socket frees its place: the next one closes nobody
    await second.disconnect()
    fifth = await hello((await open_socket(a.domain, cookie=cookies[0]))[0])
    assert await third.receive_nothing(timeout=0.5)
    for ws in (third, fourth, fifth):
        assert await alive(ws)
        await ws.disconnect()
    await desk.disconnect()
    await same_pk_elsewhere.disconnect()


async def test_a_full_process_refuses_4503_and_its_sockets_are_listed_in_redis(two_academies, settings):
    from channels.db import database_sync_to_async

    from apps.core import websocket

    a = two_academies["a"]
    await websocket.reconcile_sockets()  # earlier tests' sockets whose loops are gone
    before = (await database_sync_to_async(websocket.open_sockets)()).get(websocket.PROCESS_ID, 0)
    settings.WEBSOCKET_LIMITS = {**settings.WEBSOCKET_LIMITS, "connections_per_process": before + 2}
    first = await hello((await open_socket(a.domain, cookie=two_academies["desk_a"]))[0])
    second = await hello((await open_socket(a.domain, cookie=two_academies["desk_a"]))[0])
    counts = await database_sync_to_async(websocket.open_sockets)()
    assert counts[websocket.PROCESS_ID] == before + 2
    full, connected = await open_socket(a.domain, cookie=two_academies["desk_a"])
    assert connected and await close_code(full) == CloseCode.UNAVAILABLE == 4503
    # a closed socket frees its place at once
    await first.disconnect()
    third = await hello((await open_socket(a.domain, cookie=two_academies["desk_a"]))[0])
    assert await alive(second) and await alive(third)
    await second.disconnect()
    await third.disconnect()
    assert (await database_sync_to_async(websocket.open_sockets)())[websocket.PROCESS_ID] == before


async def test_a_dead_processs_sockets_expire_from_the_registry_and_stop_counting(two_academies, settings):
    """A server process that dies leaves its registry entries behind; its alive key expires
    (no heartbeat), and then neither its process entry nor its users' sockets count."""
    import time

    from channels.db import database_sync_to_async

    from apps.core import websocket

    settings.WEBSOCKET_PROCESS_TTL = 1.0
    a = two_academies["a"]
    cookies = two_academies["coach_a"]
    user_key = await database_sync_to_async(lambda: _coach_key(a))()
    dead = "dead-host:4242:deadbeef"

    def dead_process_had_sockets():
        for n in range(2):
            websocket.admit_socket(f"specific.dead!{n}", "x", limit=0, process=dead)
            # opened "later" than anything the live process opens in this test: without
            # pruning, these two would push the user's live sockets out
            websocket._redis().zadd(user_key, {f"{dead}|specific.dead!{n}": time.time_ns() // 1000 + 10**9})

    await database_sync_to_async(dead_process_had_sockets)()
    assert (await database_sync_to_async(websocket.open_sockets)())[dead] == 2
    time.sleep(1.1)  # the dead process sends no heartbeat: its keys expire
    assert dead not in await database_sync_to_async(websocket.open_sockets)()
    socks = [await hello((await open_socket(a.domain, cookie=cookies[i % 2]))[0]) for i in range(3)]
    for ws in socks:  # three live sockets, none closed: the dead process's two no longer count
        assert await ws.receive_nothing(timeout=0.2)
        assert await alive(ws)
    members = await database_sync_to_async(lambda: websocket._redis().zrange(user_key, 0, -1))()
    assert len(members) == 3 and not any(m.startswith(dead.encode()) for m in members)
    for ws in socks:
        await ws.disconnect()


def _coach_key(t) -> str:
    from django.contrib.auth import get_user_model

    from apps.core import websocket

    with t.context():
        return websocket._sockets_key(t.schema, get_user_model().objects.get(username="coach").pk)


async def test_a_flood_of_messages_closes_the_socket_4429(two_academies, settings):
    settings.WEBSOCKET_LIMITS = {**settings.WEBSOCKET_LIMITS, "messages_per_second": 5, "burst": 10}
    a = two_academies["a"]
    ws = await hello((await open_socket(a.domain, cookie=two_academies["desk_a"]))[0])
    for n in range(10):  # the burst passes
        await ws.send_json_to({"type": "ping", "echo": n})
        assert (await ws.receive_json_from(timeout=5))["echo"] == n
    for n in range(5):
        await ws.send_json_to({"type": "ping", "echo": n})
    replies = []
    while (message := await ws.receive_output(timeout=5))["type"] == "websocket.send":
        replies.append(json.loads(message["text"]))
    assert message["code"] == CloseCode.TOO_MANY_MESSAGES == 4429
    assert len(replies) < 5


async def test_a_steady_client_under_the_rate_is_never_closed(two_academies, settings):
    import asyncio

    settings.WEBSOCKET_LIMITS = {**settings.WEBSOCKET_LIMITS, "messages_per_second": 20, "burst": 2}
    ws = await hello((await open_socket(two_academies["a"].domain, cookie=two_academies["desk_a"]))[0])
    for n in range(20):
        await ws.send_json_to({"type": "ping", "echo": n})
        assert (await ws.receive_json_from(timeout=5))["echo"] == n
        await asyncio.sleep(0.06)
    await ws.disconnect()


async def test_deep_json_binary_and_huge_frames_get_a_clear_answer(two_academies):
    a = two_academies["a"]
    ws = await hello((await open_socket(a.domain, cookie=two_academies["desk_a"]))[0])
    # 60,000 brackets, under the frame limit: json.loads would raise RecursionError
    await ws.send_to(text_data="[" * 30_000 + "]" * 30_000)
    error = await ws.receive_json_from(timeout=5)
    assert error == {"type": "error", "code": "too_deep", "message": "JSON nested deeper than 32 levels"}
    assert await alive(ws)
    await ws.send_to(bytes_data=b"\x81\x00")
    assert (await ws.receive_json_from(timeout=5))["code"] == "binary_frame"
    assert await alive(ws)
    await ws.send_to(text_data=json.dumps({"type": "ping", "echo": "x" * 70_000}))
    assert await close_code(ws) == CloseCode.MESSAGE_TOO_BIG == 1009


@pytest.mark.parametrize(
    ("text", "deep"),
    [
        ("[1, 2, 3]", False),
        ("[" * 33 + "]" * 33, True),
        ("[" * 32 + "]" * 32, False),
        ('{"a": "' + "[" * 100 + '"}', False),  # brackets inside a string do not count
        ('["\\"' + "[" * 40 + '"]', False),  # nor after an escaped quote
        ('{"a": ' * 33 + "1" + "}" * 33, True),
        ("[{" * 17 + "}]" * 17, True),
        ("[" * 100_000, True),  # unterminated: still refused, not recursed into
    ],
)
def test_check_depth_scans_without_parsing(text, deep):
    assert depth_exceeds(text, 32) is deep
    assert depth_exceeds(text.encode(), 32) is deep
    if deep:
        with pytest.raises(TooDeep, match="deeper than 32 levels"):
            check_depth(text, 32)

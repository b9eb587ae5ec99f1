"""A committed club with a table and funded players, and websocket helpers speaking the
club's protocols (club.json.v1 / club.msgpack.v1) through the real ASGI application."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field

import msgpack
import pytest
from channels.testing.websocket import WebsocketCommunicator
from django.db import connection

from tests.utils import grant, make_user

FUNDS = 2_000_000


@dataclass
class Sock:
    ws: WebsocketCommunicator
    protocol: str
    seen: list = field(default_factory=list)

    async def send(self, message: dict) -> None:
        if self.protocol == "club.msgpack.v1":
            await self.ws.send_to(bytes_data=msgpack.packb(message))
        else:
            await self.ws.send_to(text_data=json.dumps(message))

    async def recv(self, timeout: float = 5) -> dict:
        output = await self.ws.receive_output(timeout=timeout)
        if output["type"] == "websocket.close":
            raise ConnectionError(f"closed {output.get('code')} {output.get('reason')}")
        if output.get("bytes") is not None:
            assert self.protocol == "club.msgpack.v1", "a binary frame on a JSON socket"
            message = msgpack.unpackb(output["bytes"])
        else:
            assert self.protocol == "club.json.v1", "a text frame on a MessagePack socket"
            message = json.loads(output["text"])
        self.seen.append(message)
        return message

    async def until(self, kind: str, timeout: float = 5, **match) -> dict:
        """The next message of type `kind` (matching `match`), keeping the others in `seen`."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            message = await self.recv(timeout=max(0.05, deadline - loop.time()))
            if message.get("t") == kind and all(message.get(k) == v for k, v in match.items()):
                return message

    async def drain(self, quiet: float = 0.3) -> list[dict]:
        got = []
        # receive_nothing, unlike a timed-out receive_output, leaves the consumer running.
        while not await self.ws.receive_nothing(timeout=quiet, interval=0.02):
            got.append(await self.recv())
        return got

    async def close(self) -> None:
        await self.ws.disconnect()


def raw_socket(domain: str, path: str, cookie: str) -> WebsocketCommunicator:
    from config.asgi import application

    headers = [(b"host", domain.encode()), (b"cookie", f"mc_session={cookie}".encode())]
    return WebsocketCommunicator(application, path, headers=headers)


async def connect(domain: str, path: str, cookie: str | None, protocol: str = "club.json.v1") -> Sock:
    from config.asgi import application

    headers = [(b"host", domain.encode())]
    if cookie:
        headers.append((b"cookie", f"mc_session={cookie}".encode()))
    ws = WebsocketCommunicator(application, path, headers=headers, subprotocols=[protocol])
    connected, subprotocol = await ws.connect(timeout=5)
    assert connected
    assert subprotocol == protocol
    sock = Sock(ws, protocol)
    return sock


def scripted_deck(holes: list[str], board: str = "") -> list[str]:
    """A deck dealing `holes[i]` (4 characters, e.g. "AsAh") to position i and then `board`
    (up to 5 cards) with burns between streets; the rest in a fixed order."""
    from pokerkit import Deck

    n = len(holes)
    firsts = [h[:2] for h in holes]
    seconds = [h[2:] for h in holes]
    board_cards = [board[i : i + 2] for i in range(0, len(board), 2)]
    used = set(firsts + seconds + board_cards)
    rest = [repr(c) for c in Deck.STANDARD if repr(c) not in used]
    burns = [rest.pop() for _ in range(3)]
    order = firsts + seconds
    flop, turn, river = board_cards[:3], board_cards[3:4], board_cards[4:5]
    for burn, street in zip(burns, (flop, turn, river), strict=True):
        if not street:
            break
        order += [burn, *street]
    order += [c for c in rest + burns if c not in order]
    assert len(order) == 52 and len(set(order)) == 52 and n >= 2
    return order


@pytest.fixture(scope="session")
def live_club(django_db_setup, django_db_blocker):
    """One committed club for the session's websocket tests (provisioning one takes seconds;
    each test gets its own table and players in it)."""
    import os
    import uuid

    from apps.tenancy import services
    from tests.utils import T

    with django_db_blocker.unblock():
        schema = f"live_club_s{os.getpid()}_{uuid.uuid4().hex[:6]}"
        domain = f"{schema.replace('_', '-')}.live.test"
        tenant = services.provision_tenant(name="Live club", tenant_type="club", domain=domain, schema_name=schema)
        connection.set_schema_to_public()
        yield T(tenant, domain)
        connection.set_schema_to_public()
        services.drop_tenant(tenant)


_names = iter(range(10**6))


@pytest.fixture
def club_table(live_club, live_db):
    """A ₩1,000/₩2,000 6-max table of the session's club, four funded players signed in,
    and a cashier; after the test the club's books must balance."""
    from apps.club.services import seating
    from apps.wallet.services import core

    t = live_club
    n = next(_names)
    with t.context():
        room = seating.create_room(name=f"Main {n}")
        table = seating.open_table(room=room, name="T1", small_blind=1_000, big_blind=2_000, max_seats=6)
        users = []
        for i in range(4):
            user = make_user(f"p{i}_{n}")
            grant(user, "player")
            core.transfer(
                key=f"fund:{user.pk}",
                kind="adjustment",
                legs=[(core.house_account("equity"), -FUNDS), (core.player_account(user), FUNDS)],
            )
            users.append(user)
        cashier = make_user(f"cash_{n}")
        grant(cashier, "cashier")
    cookies = {}
    for i, username in enumerate([u.username for u in users] + [cashier.username]):
        client = t.client()
        assert client.post("/accounts/login/", {"login": username, "password": "Pw-1234-abcd!"}).status_code == 302
        cookies[f"p{i}" if i < 4 else "cash"] = client.cookies["mc_session"].value
    t.table = table
    t.users = users
    t.cashier = cashier
    t.cookies = cookies
    yield t
    connection.set_schema_to_public()
    from tests.wallet.conftest import assert_books_balance

    with t.context():
        from apps.club.live import active_key, redis, table_key

        redis().delete(table_key(table.pk))
        redis().srem(active_key(), table.pk)  # later tests' driver passes skip this table
    assert_books_balance(t.schema)


@pytest.fixture
def other_club(live_tenant):
    """A second committed club with one signed-in player (cookie on `.cookie`)."""
    other = live_tenant("club")
    with other.context():
        stranger = make_user("stranger")
        grant(stranger, "player")
    client = other.client()
    assert client.post("/accounts/login/", {"login": "stranger", "password": "Pw-1234-abcd!"}).status_code == 302
    other.cookie = client.cookies["mc_session"].value
    return other

"""`ws/problems/` for parents: a parent's socket hears the submissions of their approved
children, as REST shows them (`own_children`), and nothing of a child whose link is still
pending or of another family; the child hears their own only."""

from __future__ import annotations

from datetime import date

from channels.db import database_sync_to_async

from tests.utils import browser_login, grant, make_user
from tests.websocket import close_code, open_socket

from .conftest import CHOICE


def _family(t) -> dict:
    """Two children (different families); parent 1 approved by child 1 and waiting on child 2;
    parent 2 approved by child 2; a parent with no child."""
    from apps.learning.models import Student
    from apps.learning.services import links
    from apps.problems import services

    with t.context():
        users = {}
        for name, role in (
            ("child1", "student"),
            ("child2", "student"),
            ("parent1", "parent"),
            ("parent2", "parent"),
            ("lonely", "parent"),
        ):
            users[name] = make_user(name, email=f"{name}@example.com")
            grant(users[name], role)
        for name in ("child1", "child2"):
            Student.objects.create(user=users[name], name=name, birth_date=date(2008, 3, 1))
        for parent, child, approve in (
            ("parent1", "child1", True),
            ("parent1", "child2", False),
            ("parent2", "child2", True),
        ):
            link = links.request_link(actor=users[parent], email=f"{child}@example.com")
            if approve:
                links.decide_link(link, approve=True, actor=users[child])
        problem = services.create_problem(actor=None, **CHOICE)
    cookies = {}
    for name in users:
        client = t.client()
        browser_login(client, name)
        cookies[name] = client.cookies["mc_session"].value
    return {"users": {name: user.pk for name, user in users.items()}, "cookies": cookies, "problem": problem.pk}


def _submit(t, problem_id: int, username: str) -> int:
    from apps.accounts.models import User
    from apps.problems import services
    from apps.problems.models import Problem

    with t.context():
        return services.submit(
            Problem.objects.get(pk=problem_id), actor=User.objects.get(username=username), choice=1
        ).pk


def _rest_ids(t, cookie: str) -> set[int]:
    client = t.client()
    client.cookies["mc_session"] = cookie
    response = client.get("/api/v1/submissions/")
    assert response.status_code == 200, response.content[:300]
    return {row["id"] for row in response.json()["results"]}


async def test_a_parents_socket_hears_approved_childrens_submissions_and_no_other(live_tenant):
    t = await database_sync_to_async(live_tenant)("zone")
    family = await database_sync_to_async(_family)(t)
    sockets = {}
    for name in ("parent1", "parent2", "lonely", "child1"):
        ws, connected = await open_socket(t.domain, "/ws/problems/", cookie=family["cookies"][name])
        assert connected, name
        assert (await ws.receive_json_from(timeout=5)) == {"type": "pending", "submissions": []}, name
        sockets[name] = ws

    first = await database_sync_to_async(_submit)(t, family["problem"], "child1")
    second = await database_sync_to_async(_submit)(t, family["problem"], "child2")
    heard = {}
    for name, ws in sockets.items():
        heard[name] = []
        while not await ws.receive_nothing(timeout=0.6):
            heard[name].append(await ws.receive_json_from(timeout=1))
    pairs = {name: [(e["type"], e["submission"], e["student"]) for e in events] for name, events in heard.items()}
    child1, child2 = family["users"]["child1"], family["users"]["child2"]
    assert pairs == {
        "parent1": [("submission", first, child1)],  # child 2's link is pending: nothing of it
        "parent2": [("submission", second, child2)],
        "lonely": [],
        "child1": [("submission", first, child1)],
    }
    assert heard["parent1"][0]["status"] == "graded" and heard["parent1"][0]["score"] == CHOICE["points"]
    # each socket heard exactly what the same user reads over REST
    for name in ("parent1", "parent2", "lonely"):
        rest = await database_sync_to_async(_rest_ids)(t, family["cookies"][name])
        assert rest == {submission for _type, submission, _student in pairs[name]}, name
    for ws in sockets.values():
        await ws.disconnect()


async def test_a_parents_socket_rejoins_after_its_scope_ages(live_tenant, monkeypatch):
    """A withdrawn link stops at the socket's rejoin: an old socket is closed 4408 at its next
    event, and the reopened one follows the links as they are now."""
    from apps.learning.models import ParentLink
    from apps.learning.services import links
    from apps.problems import consumers

    t = await database_sync_to_async(live_tenant)("zone")
    family = await database_sync_to_async(_family)(t)
    ws, _ = await open_socket(t.domain, "/ws/problems/", cookie=family["cookies"]["parent1"])
    await ws.receive_json_from(timeout=5)

    def withdraw():
        from apps.accounts.models import User

        with t.context():
            link = ParentLink.objects.get(parent_id=family["users"]["parent1"], status="approved")
            links.revoke_link(link, actor=User.objects.get(username="child1"))

    await database_sync_to_async(withdraw)()
    monkeypatch.setattr(consumers, "SCOPE_MAX_AGE", 0)
    await database_sync_to_async(_submit)(t, family["problem"], "child1")
    assert await close_code(ws) == 4408
    monkeypatch.setattr(consumers, "SCOPE_MAX_AGE", 3600)
    again, _ = await open_socket(t.domain, "/ws/problems/", cookie=family["cookies"]["parent1"])
    assert (await again.receive_json_from(timeout=5))["type"] == "pending"
    await database_sync_to_async(_submit)(t, family["problem"], "child1")
    assert await again.receive_nothing(timeout=0.6)
    await again.disconnect()

"""`ws/kzone/`: on connect the learner's unfinished takes; `cancel` stops the learner's own take
(and says no for anyone else's); the cancellation reaches the learner's sockets only."""

from __future__ import annotations

from channels.db import database_sync_to_async

from tests.websocket import open_socket

from .conftest import cookie, signed_in


def _take(t, user) -> int:
    from apps.kzone import services
    from apps.kzone.models import Take

    with t.context():
        line = services.save_voice_line(actor=None, title="Greeting", kind="phrase", text="Good morning", language="en")
        return Take.objects.create(kind="voice", user=user, voice_line=line, media_key="kzone/audio/x").pk


def _status(t, take_id: int) -> str:
    from apps.kzone.models import Take

    with t.context():
        return Take.objects.get(pk=take_id).status


async def test_a_learner_cancels_their_own_take_over_the_socket_and_no_one_elses(live_tenant):
    t = await database_sync_to_async(live_tenant)("zone")
    owner, owner_client = await database_sync_to_async(signed_in)(t, "owner", "student")
    _other, other_client = await database_sync_to_async(signed_in)(t, "other", "student")
    take_id = await database_sync_to_async(_take)(t, owner)

    mine, ok1 = await open_socket(t.domain, "/ws/kzone/", cookie=cookie(owner_client))
    theirs, ok2 = await open_socket(t.domain, "/ws/kzone/", cookie=cookie(other_client))
    assert ok1 and ok2
    opened = await mine.receive_json_from(timeout=5)
    assert opened["type"] == "takes" and [x["take"] for x in opened["takes"]] == [take_id]
    assert (await theirs.receive_json_from(timeout=5)) == {"type": "takes", "takes": []}

    await theirs.send_json_to({"type": "cancel", "take": take_id})
    assert (await theirs.receive_json_from(timeout=5)) == {"type": "cancel", "take": take_id, "ok": False}
    assert await database_sync_to_async(_status)(t, take_id) == "queued"

    await mine.send_json_to({"type": "cancel", "take": take_id})
    messages = [await mine.receive_json_from(timeout=5), await mine.receive_json_from(timeout=5)]
    assert {"type": "cancel", "take": take_id, "ok": True} in messages
    event = next(m for m in messages if m["type"] == "take")
    assert (event["take"], event["status"]) == (take_id, "cancelled")
    assert await theirs.receive_nothing(timeout=0.5)
    assert await database_sync_to_async(_status)(t, take_id) == "cancelled"

    await mine.send_json_to({"type": "cancel", "take": True})
    assert (await mine.receive_json_from(timeout=5))["ok"] is False
    await mine.send_json_to({"type": "hello"})
    assert (await mine.receive_json_from(timeout=5))["code"] == "bad_message"
    for socket in (mine, theirs):
        await socket.disconnect()

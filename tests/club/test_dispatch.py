"""The club's sockets forward their frames without a trip to Channels' one thread-sensitive
thread per frame (apps.club.consumers.ClubSocket.dispatch)."""

from __future__ import annotations

from channels.db import database_sync_to_async

from apps.club import live

from .conftest import connect


async def test_forwarded_frames_skip_channels_connection_cleanup_and_the_rest_keep_it(club_table, monkeypatch):
    import channels.consumer

    t = club_table
    cleanups: list[int] = []
    real = channels.consumer.aclose_old_connections

    async def counting():
        cleanups.append(1)
        await real()

    monkeypatch.setattr(channels.consumer, "aclose_old_connections", counting)
    sock = await connect(t.domain, f"/ws/club/table/{t.table.pk}/", t.cookies["p0"], "club.msgpack.v1")
    await sock.until("snapshot")
    assert cleanups  # websocket.connect still gets Channels' own cleanup
    before = len(cleanups)

    def publish():
        with t.context():
            for n in range(3):
                live.publish(t.table.pk, {"t": "update", "events": [], "hand": n})

    await database_sync_to_async(publish)()
    for _ in range(3):
        await sock.until("update")
    await sock.send({"t": "ping"})
    await sock.until("pong")
    assert len(cleanups) == before  # three table frames and a client frame: no trip
    await sock.close()

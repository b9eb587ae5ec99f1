"""The club sockets' two wire formats, and a message encoded once for all of them.

`club.msgpack.v1`: binary frames, one MessagePack map each; `club.json.v1`: text frames, one
JSON object each. A message for a whole table or the lobby is encoded here once, by the
worker thread that publishes it, in both formats (`frames`); each socket then forwards the
frame of its protocol as it is. Encoded per socket, on the event loop, every table message
was unpacked from the channel layer and packed again once per socket watching — the loop's
work grew with the sockets, not the messages.
"""

from __future__ import annotations

import json
from typing import Any

import msgpack

MSGPACK = "club.msgpack.v1"
JSON = "club.json.v1"


def encode(message: dict[str, Any], protocol: str) -> bytes | str:
    if protocol == MSGPACK:
        return msgpack.packb(message, use_bin_type=True)
    return json.dumps(message, separators=(",", ":"), ensure_ascii=False)


def frames(message: dict[str, Any]) -> dict[str, bytes | str]:
    """`message` in both formats, for a channel-layer event (`{"type": ..., "frames": ...}`)."""
    return {MSGPACK: encode(message, MSGPACK), JSON: encode(message, JSON)}

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


class RetryableError(Exception):
    """The provider may accept the same message later (5xx, timeouts, rate limits).

    `uncertain` means the request may have reached the provider (a timeout after sending):
    the next attempt must ask the provider before sending again."""

    def __init__(self, message: str, *, uncertain: bool = False):
        super().__init__(message)
        self.uncertain = uncertain


class PermanentError(Exception):
    """The provider will never accept this message as it is (bad number, bad template)."""


@dataclass
class SendResult:
    provider_message_id: str
    request_id: str = ""
    fallback_used: bool = False
    response: dict = field(default_factory=dict)


class Provider(Protocol):
    channel: str

    def send(self, message) -> SendResult: ...

    def find_sent(self, message) -> SendResult | None:
        """If an earlier attempt of this message reached the provider, what it recorded."""

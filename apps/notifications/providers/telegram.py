"""Telegram Bot API: POST {base}/bot{token}/sendMessage {"chat_id", "text"}."""

from __future__ import annotations

import httpx

from .base import PermanentError, RetryableError, SendResult

TIMEOUT = httpx.Timeout(10.0, connect=5.0)


class TelegramBot:
    channel = "telegram"

    def __init__(self, config, client: httpx.Client | None = None):
        self.config = config
        self.client = client or httpx.Client(timeout=TIMEOUT)

    def send(self, message) -> SendResult:
        url = f"{self.config.base_url.rstrip('/')}/bot{self.config.secret}/sendMessage"
        try:
            response = self.client.post(url, json={"chat_id": message.address, "text": message.text})
        except httpx.HTTPError as exc:
            raise RetryableError(
                f"Telegram unreachable: {exc}", uncertain=not isinstance(exc, httpx.ConnectError)
            ) from exc
        data = response.json() if response.headers.get("content-type", "").startswith("application/json") else {}
        if response.status_code == 429 or response.status_code >= 500:
            raise RetryableError(f"Telegram {response.status_code}: {data.get('description', '')}")
        if not data.get("ok"):
            raise PermanentError(f"Telegram {response.status_code}: {data.get('description', 'refused')}")
        return SendResult(str(data["result"]["message_id"]), response=data)

    def find_sent(self, message) -> SendResult | None:
        # The Bot API cannot look a message up; an uncertain attempt is not repeated.
        if message.attempts and message.sending_started_at:
            return SendResult(message.provider_message_id or "unconfirmed", response={"unconfirmed": True})
        return None

"""KakaoTalk Alimtalk through NAVER Cloud Platform SENS (Simple & Easy Notification
Service), Biz Message API v2:

    POST {base}/alimtalk/v2/services/{serviceId}/messages
    GET  {base}/alimtalk/v2/services/{serviceId}/messages?requestId=…

Requests are signed: x-ncp-apigw-signature-v2 = Base64(HMAC-SHA256(secret,
"METHOD path?query\\n{timestamp}\\n{accessKey}")). A message carries the template code and
its full text, which must equal the approved template; SENS falls back to SMS/LMS by
itself when `useSmsFailover` is set and the recipient cannot receive Alimtalk.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from urllib.parse import urlsplit

import httpx

from .base import PermanentError, RetryableError, SendResult

TIMEOUT = httpx.Timeout(10.0, connect=5.0)


def signature(method: str, path_with_query: str, timestamp: str, access_key: str, secret: str) -> str:
    message = f"{method} {path_with_query}\n{timestamp}\n{access_key}"
    return base64.b64encode(hmac.new(secret.encode(), message.encode(), hashlib.sha256).digest()).decode()


class SensAlimtalk:
    channel = "alimtalk"

    def __init__(self, config, client: httpx.Client | None = None):
        self.config = config
        self.client = client or httpx.Client(timeout=TIMEOUT)

    def _url(self, suffix: str = "") -> str:
        return f"{self.config.base_url.rstrip('/')}/alimtalk/v2/services/{self.config.account}/messages{suffix}"

    def _headers(self, method: str, url: str) -> dict:
        parts = urlsplit(url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        timestamp = str(int(time.time() * 1000))
        return {
            "Content-Type": "application/json; charset=utf-8",
            "x-ncp-apigw-timestamp": timestamp,
            "x-ncp-iam-access-key": self.config.access_key,
            "x-ncp-apigw-signature-v2": signature(
                method, path, timestamp, self.config.access_key, self.config.secret or ""
            ),
        }

    def _request(self, method: str, url: str, **kwargs) -> httpx.Response:
        try:
            response = self.client.request(method, url, headers=self._headers(method, url), **kwargs)
        except httpx.HTTPError as exc:
            raise RetryableError(f"SENS unreachable: {exc}", uncertain=not isinstance(exc, httpx.ConnectError)) from exc
        if response.status_code == 429 or response.status_code >= 500:
            raise RetryableError(f"SENS {response.status_code}: {response.text[:300]}")
        if response.status_code >= 400:
            raise PermanentError(f"SENS {response.status_code}: {response.text[:300]}")
        return response

    def send(self, message) -> SendResult:
        template = message.template
        body = {
            "plusFriendId": self.config.sender,
            "templateCode": template.provider_template_code,
            "messages": [
                {
                    "countryCode": "82",
                    "to": message.address,
                    "content": message.text,
                    "useSmsFailover": bool(self.config.sms_from),
                    **(
                        {
                            "failoverConfig": {
                                "type": "LMS" if len(message.text) > 45 else "SMS",
                                "from": self.config.sms_from,
                                "content": message.text,
                            }
                        }
                        if self.config.sms_from
                        else {}
                    ),
                }
            ],
        }
        data = self._request("POST", self._url(), json=body).json()
        result = (data.get("messages") or [{}])[0]
        if result.get("requestStatusCode") != "A000":
            raise PermanentError(
                f"SENS refused: {result.get('requestStatusCode')} {result.get('requestStatusDesc', '')}"
            )
        return SendResult(result["messageId"], data.get("requestId", ""), bool(result.get("failover")), data)

    def find_sent(self, message) -> SendResult | None:
        """Look the message up: by the request id when the earlier attempt got an answer,
        otherwise by recipient, matching the exact text sent since that attempt began."""
        query = f"?requestId={message.request_id}" if message.request_id else f"?to={message.address}"
        data = self._request("GET", self._url(query)).json()
        for item in data.get("messages", []):
            if item.get("to") == message.address and item.get("content") == message.text:
                return SendResult(
                    item["messageId"], item.get("requestId", message.request_id), bool(item.get("failover")), data
                )
        return None

"""Loopback sandboxes of the notification providers, speaking their real HTTP protocols:

- NAVER Cloud SENS Biz Message (Alimtalk) v2: signed requests (x-ncp-apigw-signature-v2),
  send and query; content must match an approved template; recipients whose number ends
  in 0000 have no KakaoTalk, so the message goes by SMS when failover was asked for.
- Telegram Bot API: sendMessage; chat id 0 is "chat not found".

`POST …/_control {"fail_next": n, "delay_next": seconds}` makes the next requests fail
with 500 or answer late (for retry and timeout tests). Served on the platform host only
when SANDBOX_ENABLED (development and tests).
"""

from __future__ import annotations

import hmac
import json
import re
import time
import uuid

from django.conf import settings
from django.core.cache import cache
from django.http import JsonResponse
from django.shortcuts import render
from django.utils import timezone

from apps.core.sandbox import sandbox_view

from ..defaults import DEFAULT_TEMPLATES
from ..models import SandboxMessage
from ..providers.sens import signature
from ..rendering import PLACEHOLDER


def _pattern(body: str) -> re.Pattern:
    parts = PLACEHOLDER.split(body)
    # split keeps group names at odd positions: literal, name, literal, name, …
    return re.compile("^" + "".join(re.escape(p) if i % 2 == 0 else ".+?" for i, p in enumerate(parts)) + "$", re.S)


APPROVED = {spec["provider_template_code"]: _pattern(spec["body"]) for spec in DEFAULT_TEMPLATES.values()}


def _interference(name: str):
    """Apply a pending fail/delay set through _control; returns a response to send instead."""
    delay = cache.get(f"sandbox:{name}:delay_next")
    if delay:
        cache.delete(f"sandbox:{name}:delay_next")
        time.sleep(float(delay))
    failures = cache.get(f"sandbox:{name}:fail_next") or 0
    if failures > 0:
        cache.set(f"sandbox:{name}:fail_next", failures - 1, 300)
        return JsonResponse({"error": "sandbox: injected failure"}, status=500)
    return None


@sandbox_view
def control(request, name: str):
    data = json.loads(request.body or b"{}")
    if "fail_next" in data:
        cache.set(f"sandbox:{name}:fail_next", int(data["fail_next"]), 300)
    if "delay_next" in data:
        cache.set(f"sandbox:{name}:delay_next", float(data["delay_next"]), 300)
    return JsonResponse({"ok": True})


def _sens_auth_error(request):
    timestamp = request.headers.get("x-ncp-apigw-timestamp", "")
    access_key = request.headers.get("x-ncp-iam-access-key", "")
    given = request.headers.get("x-ncp-apigw-signature-v2", "")
    if not (timestamp.isdigit() and access_key and given):
        return JsonResponse({"error": {"errorCode": "200", "message": "Authentication Failed"}}, status=401)
    if abs(time.time() * 1000 - int(timestamp)) > 5 * 60 * 1000:
        return JsonResponse({"error": {"errorCode": "200", "message": "Invalid timestamp"}}, status=401)
    expected = signature(request.method, request.get_full_path(), timestamp, access_key, settings.SANDBOX_SENS_SECRET)
    if not hmac.compare_digest(expected, given):
        return JsonResponse({"error": {"errorCode": "200", "message": "Signature mismatch"}}, status=401)
    return None


@sandbox_view
def sens_messages(request, service_id: str):
    if (error := _sens_auth_error(request)) is not None:
        return error
    if request.method == "GET":
        return _sens_query(request, service_id)
    if (injected := _interference("sens")) is not None:
        return injected
    try:
        body = json.loads(request.body)
        code, friend, messages = body["templateCode"], body["plusFriendId"], body["messages"]
    except (ValueError, KeyError) as exc:
        return JsonResponse({"status": 400, "errorMessage": f"bad request: {exc}"}, status=400)
    request_id = uuid.uuid4().hex
    results = []
    for item in messages:
        to, content = str(item.get("to", "")), item.get("content", "")
        pattern = APPROVED.get(code)
        if pattern is None or not pattern.match(content):
            results.append(
                {
                    "to": to,
                    "countryCode": "82",
                    "content": content,
                    "requestStatusCode": "A003",
                    "requestStatusName": "fail",
                    "requestStatusDesc": "template content mismatch",
                }
            )
            continue
        failover = ""
        if to.endswith("0000") and item.get("useSmsFailover"):
            failover = item.get("failoverConfig", {}).get("type", "SMS")
        message = SandboxMessage.objects.create(
            provider="sens",
            request_id=request_id,
            message_id=uuid.uuid4().hex,
            account=f"{service_id}/{friend}",
            to=to,
            template_code=code,
            content=content,
            failover=failover,
        )
        results.append(
            {
                "messageId": message.message_id,
                "to": to,
                "countryCode": "82",
                "content": content,
                "requestStatusCode": "A000",
                "requestStatusName": "success",
                "requestStatusDesc": "성공",
                "useSmsFailover": bool(item.get("useSmsFailover")),
                **({"failover": {"type": failover}} if failover else {}),
            }
        )
    return JsonResponse(
        {
            "requestId": request_id,
            "requestTime": timezone.now().isoformat(),
            "statusCode": "202",
            "statusName": "success",
            "messages": results,
        },
        status=202,
    )


def _sens_query(request, service_id: str):
    found = SandboxMessage.objects.filter(provider="sens", account__startswith=f"{service_id}/")
    if request.GET.get("requestId"):
        found = found.filter(request_id=request.GET["requestId"])
    elif request.GET.get("to"):
        found = found.filter(to=request.GET["to"])
    else:
        return JsonResponse({"status": 400, "errorMessage": "requestId or to is required"}, status=400)
    items = [
        {
            "messageId": m.message_id,
            "requestId": m.request_id,
            "to": m.to,
            "content": m.content,
            "requestTime": m.received_at.isoformat(),
            "templateCode": m.template_code,
            "messageStatusCode": "0000",
            "messageStatusName": "success",
            **({"failover": {"type": m.failover}} if m.failover else {}),
        }
        for m in found[:100]
    ]
    return JsonResponse(
        {
            "requestId": request.GET.get("requestId", ""),
            "statusCode": "202",
            "statusName": "success",
            "messages": items,
            "itemCount": len(items),
        }
    )


@sandbox_view
def telegram_send(request, token: str):
    if token != settings.SANDBOX_TELEGRAM_TOKEN:
        return JsonResponse({"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401)
    if (injected := _interference("telegram")) is not None:
        return injected
    data = json.loads(request.body or b"{}")
    chat_id, text = str(data.get("chat_id", "")), data.get("text", "")
    if not chat_id or chat_id == "0":
        return JsonResponse({"ok": False, "error_code": 400, "description": "Bad Request: chat not found"}, status=400)
    if not text:
        return JsonResponse(
            {"ok": False, "error_code": 400, "description": "Bad Request: message text is empty"}, status=400
        )
    message = SandboxMessage.objects.create(
        provider="telegram", request_id="", message_id=uuid.uuid4().hex, account="bot", to=chat_id, content=text
    )
    return JsonResponse(
        {
            "ok": True,
            "result": {
                "message_id": message.pk,
                "chat": {"id": int(chat_id) if chat_id.lstrip("-").isdigit() else chat_id},
                "date": int(time.time()),
                "text": text,
            },
        }
    )


@sandbox_view
def inbox(request):
    return render(
        request, "notifications/sandbox_inbox.html", {"messages_received": SandboxMessage.objects.all()[:200]}
    )

"""Rate limits shared by every process through Redis (settings.RATE_LIMITS).

Each limit is an exact sliding window: a sorted set of hit times per key, trimmed and
counted in one Lua script, so two web processes can never both take the last slot.
Every key carries the schema, so tenant A's counters and locks never touch tenant B's
user or client of the same name.

| limit        | counted                                    | key              | then              |
| ------------ | ------------------------------------------ | ---------------- | ----------------- |
| `login`      | failed sign-ins (browser, app, admin)      | account and IP   | locked `lock` s   |
| `signup`     | sign-up submissions                        | IP               | 429 until a slot frees |
| `api`        | API requests (DRF default throttle)        | user, else IP    | 429               |
| `ai`         | AI endpoints (`AI_THROTTLES`)              | user, else IP    | 429               |
| `ai_ip`      | AI endpoints on zone sites (K-Zone)        | IP               | 429               |
| `withdrawal` | withdrawal requests (`WITHDRAWAL_THROTTLES`) | user, else IP  | 429               |

Views of AI features (zone tutors, store reply drafts, …) declare
`throttle_classes = AI_THROTTLES`; the wallet's withdrawal views
`throttle_classes = WITHDRAWAL_THROTTLES`. Both keep the general API limit too.
"""

from __future__ import annotations

import hashlib
import math
import time
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django_redis import get_redis_connection
from rest_framework.throttling import BaseThrottle

# KEYS[1] window; ARGV: limit, now (ms), window (ms), member. Returns 0 if the hit is
# allowed (and records it), else the milliseconds until the oldest hit leaves the window.
HIT = """
local limit = tonumber(ARGV[1])
local now = tonumber(ARGV[2])
local window = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', tostring(now - window))
if redis.call('ZCARD', KEYS[1]) < limit then
  redis.call('ZADD', KEYS[1], ARGV[2], ARGV[4])
  redis.call('PEXPIRE', KEYS[1], window)
  return 0
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return math.max(1, tonumber(oldest[2]) + window - now)
"""

# KEYS[1] window, KEYS[2] lock; ARGV: limit, now, window, member, lock (ms). Records a
# failure; when the window holds `limit` failures, sets the lock. Returns 1 if this
# failure set the lock, else 0.
FAIL = """
local limit = tonumber(ARGV[1])
local now = tonumber(ARGV[2])
local window = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', tostring(now - window))
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[4])
redis.call('PEXPIRE', KEYS[1], window)
if redis.call('ZCARD', KEYS[1]) >= limit then
  if redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[5], 'NX') then
    redis.call('DEL', KEYS[1])
    return 1
  end
end
return 0
"""

PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class Rate:
    limit: int
    window: int  # seconds
    lock: int = 0  # seconds; 0: no lock

    @classmethod
    def parse(cls, value: str | dict) -> Rate:
        """'5/min', '10/hour', '3/30s' or {'rate': '5/min', 'lock': 900}."""
        lock = 0
        if isinstance(value, dict):
            lock = int(value.get("lock", 0))
            value = value["rate"]
        count, _, period = str(value).partition("/")
        digits = "".join(c for c in period if c.isdigit()) or "1"
        unit = period.lstrip("0123456789")[:1]
        if unit not in PERIODS:
            raise ValueError(f"{value!r} is not a rate: expected e.g. '5/min', '10/hour'")
        return cls(limit=int(count), window=int(digits) * PERIODS[unit], lock=lock)


def enabled() -> bool:
    return bool(settings.RATE_LIMITS.get("ENABLED", True))


def rate(scope: str) -> Rate:
    return Rate.parse(settings.RATE_LIMITS[scope])


def key(scope: str, kind: str, ident: str) -> str:
    """`<prefix>:rl:<schema>:<scope>:<kind>:<digest>`; identifiers (logins, addresses) are
    hashed so no e-mail address sits in Redis in clear."""
    digest = hashlib.sha256(str(ident).lower().encode()).hexdigest()[:32]
    return f"{settings.REDIS_KEY_PREFIX}:rl:{connection.schema_name}:{scope}:{kind}:{digest}"


def _redis():
    return get_redis_connection("default")


def _now_ms() -> int:
    return int(time.time() * 1000)


def hit(key_: str, limit: int, window: int) -> float:
    """Count one hit; 0 if it is allowed, else the seconds until one is."""
    redis = _redis()
    wait_ms = redis.register_script(HIT)(keys=[key_], args=[limit, _now_ms(), window * 1000, uuid.uuid4().hex])
    return int(wait_ms) / 1000


def fail(window_key: str, lock_key: str, r: Rate) -> bool:
    """Count one failure; True if it locked the key."""
    redis = _redis()
    args = [r.limit, _now_ms(), r.window * 1000, uuid.uuid4().hex, r.lock * 1000]
    return bool(redis.register_script(FAIL)(keys=[window_key, lock_key], args=args))


def locked_for(*lock_keys: str) -> float:
    """Seconds the longest of these locks still holds (0 if none does)."""
    redis = _redis()
    with redis.pipeline(transaction=False) as pipe:
        for k in lock_keys:
            pipe.pttl(k)
        ttls = pipe.execute()
    return max([t / 1000 for t in ttls if t and t > 0] or [0])


def clear(scope: str | None = None) -> int:
    """Forget the counters and locks of one scope (or all) in the current schema."""
    redis = _redis()
    pattern = f"{settings.REDIS_KEY_PREFIX}:rl:{connection.schema_name}:{scope or '*'}:*"
    keys = list(redis.scan_iter(match=pattern, count=500))
    return redis.delete(*keys) if keys else 0


def client_ip(request) -> str:
    from apps.audit.request_context import client_ip as _client_ip

    meta = getattr(request, "META", {})
    return _client_ip(meta.get("REMOTE_ADDR"), meta.get("HTTP_X_FORWARDED_FOR")) or "unknown"


# ---------------------------------------------------------------------------- responses


def retry_after(seconds: float) -> int:
    return max(1, math.ceil(seconds))


def too_many_requests(request: HttpRequest, wait: float | None = None) -> HttpResponse:
    """429 in the caller's language and format: the API's error body under /api/,
    allauth's (`{"status", "errors"}`) under /_allauth/, the HTML page elsewhere."""
    from django.shortcuts import render
    from django.utils.translation import gettext as _

    from .api.errors import error_response

    seconds = retry_after(wait) if wait else None
    message = (
        _("Too many requests. Try again in %(seconds)d seconds.") % {"seconds": seconds}
        if seconds
        else _("Too many requests. Try again later.")
    )
    path = request.path
    if path.startswith("/api/"):
        response: HttpResponse = error_response(429, message, "throttled")
    elif path.startswith("/_allauth/"):
        response = JsonResponse(
            {"status": 429, "errors": [{"code": "too_many_requests", "message": message}]}, status=429
        )
    else:
        response = render(request, "429.html", {"retry_after": seconds}, status=429)
    if seconds:
        response["Retry-After"] = str(seconds)
    return response


# ---------------------------------------------------------------------------- sign-ins


def _account_ident(request, credentials: dict) -> str:
    """The account a sign-in names: its user id when the name or e-mail is known (so
    switching between the two buys no extra attempts), else the name as typed. One query,
    remembered on the request for the failure count that may follow."""
    from django.contrib.auth import get_user_model
    from django.db.models import Q

    login = next((str(credentials[k]) for k in ("username", "email", "login") if credentials.get(k)), "").strip()
    if not login:
        return ""
    cache = request.__dict__.setdefault("_ratelimit_accounts", {})
    if login not in cache:
        User = get_user_model()
        name = User.USERNAME_FIELD
        rows = list(
            User._default_manager.filter(Q(**{f"{name}__iexact": login}) | (Q(email__iexact=login) & ~Q(email="")))
            .order_by("pk")
            .values_list("pk", name)[:5]
        )
        # A user whose name is the login wins over one whose e-mail is.
        pk = next((pk for pk, username in rows if username.lower() == login.lower()), rows[0][0] if rows else None)
        cache[login] = f"user:{pk}" if pk is not None else (_backend_alias(login) or f"login:{login.lower()}")
    return cache[login]


def _backend_alias(login: str) -> str | None:
    """Backends that accept other logins (a guardian's phone number in any of its forms)
    name the account it means, so writing the number another way buys no extra attempts."""
    from django.contrib.auth import get_backends

    for backend in get_backends():
        alias = getattr(backend, "login_alias", None)
        if alias is not None and (found := alias(login)):
            return found
    return None


def _login_keys(request, credentials: dict) -> list[tuple[str, str, str]]:
    """(kind, window key, lock key) for the account and the client address."""
    pairs = [("ip", client_ip(request))]
    account = _account_ident(request, credentials)
    if account:
        pairs.insert(0, ("account", account))
    return [(kind, key("login", kind, ident), key("login", f"{kind}-lock", ident)) for kind, ident in pairs]


class LoginLocked(Exception):
    def __init__(self, wait: float):
        super().__init__(f"sign-in locked for {wait:.0f}s")
        self.wait = wait


def check_login(request, credentials: dict) -> None:
    """Raise LoginLocked while the account or the address is locked, whatever the password."""
    if not enabled():
        return
    keys = _login_keys(request, credentials)
    wait = locked_for(*(lock for _, _, lock in keys))
    if wait:
        raise LoginLocked(wait)


def login_failed(request, credentials: dict) -> None:
    """Count a failed sign-in against the account and the address; lock (and audit) the
    one that reached the limit."""
    if not enabled():
        return
    r = rate("login")
    for kind, window_key, lock_key in _login_keys(request, credentials):
        if fail(window_key, lock_key, r):
            from apps.audit import actions
            from apps.audit.services import record

            login = next((str(credentials[k]) for k in ("username", "email", "login") if credentials.get(k)), "")
            record(
                actions.LOGIN_LOCKED,
                actor=None,
                resource=("accounts.user", ""),
                request=request,
                details={"scope": kind, "login": login[:150], "seconds": r.lock, "failures": r.limit},
            )


def mfa_code_failed(sender, request, user, **kwargs) -> None:
    """allauth.mfa's authentication_failed: a wrong TOTP code after the right password."""
    if request is not None and user is not None:
        login_failed(request, {"username": user.get_username()})


# ---------------------------------------------------------------------------- sign-ups

SIGNUP_URL_NAMES = {"account_signup", "signup"}


class RateLimitMiddleware:
    """Sign-up submissions per client address (browser form and allauth headless)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.method != "POST" or not enabled():
            return None
        match = request.resolver_match
        if match is None or match.url_name not in SIGNUP_URL_NAMES:
            return None
        if match.url_name == "signup" and "headless" not in match.namespaces:
            return None
        r = rate("signup")
        wait = hit(key("signup", "ip", client_ip(request)), r.limit, r.window)
        return too_many_requests(request, wait) if wait else None


# ---------------------------------------------------------------------------- API throttles


class RedisThrottle(BaseThrottle):
    """A DRF throttle on the shared Redis window: per user, anonymous clients per address."""

    scope = "api"

    def allow_request(self, request, view) -> bool:
        self._wait = None
        if not enabled():
            return True
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            kind, ident = "user", str(user.pk)
        else:
            kind, ident = "ip", client_ip(request)
        r = rate(self.scope)
        wait = hit(key(self.scope, kind, ident), r.limit, r.window)
        if wait:
            self._wait = wait
            return False
        return True

    def wait(self) -> float | None:
        return self._wait


class ApiRateThrottle(RedisThrottle):
    """Every API view (REST_FRAMEWORK's DEFAULT_THROTTLE_CLASSES): 100/min per user."""

    scope = "api"


class AiRateThrottle(RedisThrottle):
    """AI endpoints (tutors, reply drafts, inference): 10/min per user. Use AI_THROTTLES."""

    scope = "ai"


class AiAddressRateThrottle(RedisThrottle):
    """AI endpoints per client address on zone sites (seed 003, K-Zone: 50/min), whoever is
    signed in: many accounts behind one address cannot each take their own 10."""

    scope = "ai_ip"
    tenant_types = ("zone",)

    def allow_request(self, request, view) -> bool:
        self._wait = None
        tenant = getattr(request, "tenant", None) or getattr(connection, "tenant", None)
        if not enabled() or getattr(tenant, "type", None) not in self.tenant_types:
            return True
        r = rate(self.scope)
        wait = hit(key(self.scope, "ip", client_ip(request)), r.limit, r.window)
        if wait:
            self._wait = wait
            return False
        return True


class WithdrawalRateThrottle(RedisThrottle):
    """Wallet withdrawals: 10/hour per user. Use WITHDRAWAL_THROTTLES."""

    scope = "withdrawal"


# A view that sets throttle_classes replaces the defaults, so these keep the API limit.
AI_THROTTLES = [ApiRateThrottle, AiRateThrottle, AiAddressRateThrottle]
WITHDRAWAL_THROTTLES = [ApiRateThrottle, WithdrawalRateThrottle]

"""The app token (X-Session-Token) is the session key: allauth's session-token strategy,
with the session looked up in one cache read instead of two."""

from __future__ import annotations

from allauth.headless.internal import sessionkit
from allauth.headless.tokens.strategies.sessions import SessionTokenStrategy
from django.contrib.sessions.backends.base import SessionBase


class OneReadSessionTokenStrategy(SessionTokenStrategy):
    def lookup_session(self, session_token: str) -> SessionBase | None:
        # allauth's strategy asks the store whether the session exists (a Redis EXISTS, then
        # the database if missing) and then loads it (a GET): two round trips on every app
        # request. Loading alone answers both: a missing or expired session clears the key,
        # and the lookup returns None as before (allauth's own sessionkit helper).
        return sessionkit.lookup_session(session_token)

"""What a request says about the person behind it, for consent and signature records."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str | None:
    """The client's address. Behind `LIKENESS_PROXY_COUNT` reverse proxies it is the entry
    the outermost of ours appended to X-Forwarded-For, counted from the right: entries left
    of it were written by the client and prove nothing. Without proxies, REMOTE_ADDR."""
    hops = settings.LIKENESS_PROXY_COUNT
    if hops:
        forwarded = [
            part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        ]
        forwarded = [part for part in forwarded if part]
        if len(forwarded) >= hops:
            return forwarded[-hops]
    return request.META.get("REMOTE_ADDR") or None


def user_agent(request: HttpRequest) -> str:
    return request.META.get("HTTP_USER_AGENT", "")[:500]

"""The client address recorded with consents and signatures cannot be chosen by the client."""

from __future__ import annotations

from typing import Any

from django.test import RequestFactory

from marketplace.core.http import client_ip

SPOOFED = "203.0.113.66"


def request_from(remote: str, forwarded: str | None = None):
    extra: dict[str, Any] = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
    return RequestFactory().get("/", REMOTE_ADDR=remote, **extra)


def test_without_proxies_a_forwarded_header_is_ignored(settings):
    settings.LIKENESS_PROXY_COUNT = 0
    assert client_ip(request_from("198.51.100.7", SPOOFED)) == "198.51.100.7"


def test_behind_one_proxy_the_address_it_appended_counts(settings):
    settings.LIKENESS_PROXY_COUNT = 1
    # the client wrote SPOOFED itself; our proxy appended the address it saw
    request = request_from("10.0.0.2", f"{SPOOFED}, 198.51.100.7")
    assert client_ip(request) == "198.51.100.7"


def test_behind_two_proxies_the_outer_ones_entry_counts(settings):
    settings.LIKENESS_PROXY_COUNT = 2
    request = request_from("10.0.0.3", f"{SPOOFED}, 198.51.100.7, 10.0.0.2")
    assert client_ip(request) == "198.51.100.7"


def test_a_missing_header_behind_a_proxy_falls_back_to_the_peer(settings):
    settings.LIKENESS_PROXY_COUNT = 1
    assert client_ip(request_from("10.0.0.2")) == "10.0.0.2"

"""Comparing whole pages: "answers exactly like" up to what differs on every response."""

from __future__ import annotations

import re

# The CSRF token (masked anew for each response) and the CSP nonce of the page's script.
PER_RESPONSE = re.compile(rb'("X-CSRFToken": "|name="csrfmiddlewaretoken" value="|nonce=")[^"]+')


def without_per_response_tokens(html: bytes) -> bytes:
    return PER_RESPONSE.sub(rb"\1", html)

"""Login links to a connected Express account's (local) dashboard."""

from __future__ import annotations

from typing import Any

from ..core import Context
from ..errors import invalid
from .crud import (
    POST,
    retrieve,
)
from .validation import (
    require_platform,
)


@POST("/v1/accounts/{id}/login_links")
def login_links_create(ctx: Context) -> dict[str, Any]:
    require_platform(ctx, "Creating login links")
    account = retrieve(ctx, "account", ctx.path["id"], account="")
    ctx.params.allow()
    if account["type"] != "express":
        raise invalid("Login links can only be created for Express accounts.", param="account")
    if not account["details_submitted"]:
        raise invalid(
            "Cannot create a login link for an account that has not completed onboarding.",
            param="account",
        )
    return {
        "object": "login_link",
        "created": ctx.now,
        "url": f"{ctx.base_url}/express/{account['id']}",
    }

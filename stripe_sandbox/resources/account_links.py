"""Account Links: single-use URLs of the local onboarding page."""

from __future__ import annotations

from typing import Any

from ..core import Context, random_token
from ..errors import invalid
from .crud import (
    POST,
    platform_id,
    retrieve,
)
from .validation import (
    require_platform,
    url_param,
)


@POST("/v1/account_links")
def account_links_create(ctx: Context) -> dict[str, Any]:
    require_platform(ctx, "Creating account links")
    p = ctx.params.allow(
        "account", "type", "refresh_url", "return_url", "collect", "collection_options"
    )
    account_id = p.string("account", required=True)
    assert account_id is not None
    link_type = p.string("type", required=True, choices=("account_onboarding", "account_update"))
    refresh_url = url_param(p, "refresh_url", required=True)
    return_url = url_param(p, "return_url", required=True)
    if account_id == platform_id(ctx):
        raise invalid("You cannot create an account link for the platform itself.", param="account")
    account = retrieve(ctx, "account", account_id, param="account", status=400, account="")
    if link_type == "account_update" and account["type"] != "custom":
        # Only accounts whose requirements the platform collects (Custom) can be updated
        # through a link; Express and Standard accounts update their details with Stripe.
        raise invalid(
            f"You cannot create `account_update` type Account Links for {account['type']} "
            "accounts. Use `account_onboarding` to collect outstanding requirements.",
            param="type",
        )
    token = random_token(24)
    expires_at = ctx.now + 300
    ctx.store.insert(
        {
            "id": f"link_{token}",
            "object": "_account_link",
            "account": account["id"],
            "type": link_type,
            "refresh_url": refresh_url,
            "return_url": return_url,
            "expires_at": expires_at,
            "used": False,
        },
        account="",
    )
    return {
        "object": "account_link",
        "created": ctx.now,
        "expires_at": expires_at,
        "url": f"{ctx.base_url}/connect/onboarding/{token}",
    }

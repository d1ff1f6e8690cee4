"""What every ``/v1`` resource shares: routes, lookup, lists, updates, events, public form.

Most resources list, retrieve and update the same way, so they declare it with :func:`serve`
instead of writing the handlers: ``serve("refund", "/v1/refunds", listing=Listing(filters=
("charge", "payment_intent")), updating=Updating(event="refund.updated"))``. Resources with
their own rules write a handler and still call :func:`retrieve`, :func:`list_objects` and
:func:`update`, so lookups, pagination, metadata and ``*.updated`` events behave alike.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .. import webhooks
from ..core import Context, Handler, Router
from ..errors import invalid, no_such
from ..forms import Params
from .validation import reject_unsupported

router = Router()
GET = lambda pattern: router.add("GET", pattern)  # noqa: E731
POST = lambda pattern: router.add("POST", pattern)  # noqa: E731
DELETE = lambda pattern: router.add("DELETE", pattern)  # noqa: E731

LABELS = {
    "payment_method": "PaymentMethod",
    "checkout.session": "checkout.session",
    "balance_transaction": "balance transaction",
    "transfer_reversal": "transfer reversal",
    "webhook_endpoint": "webhook endpoint",
}

Obj = dict[str, Any]
# Applies one request parameter to an object: setter(obj, params, key); called when key is sent.
Setter = Callable[[Obj, Params, str], None]


def label(object_type: str) -> str:
    return LABELS.get(object_type, object_type)


def platform_id(ctx: Context) -> str:
    return ctx.app.platform_account_id()


# -------------------------------------------------------------------------------------------------
# retrieve


def retrieve(
    ctx: Context,
    object_type: str,
    object_id: str,
    *,
    param: str = "id",
    status: int = 404,
    account: str | None = None,
) -> Obj:
    """The stored object of this type owned by the account (the caller's by default), or
    Stripe's ``resource_missing`` naming ``param`` (404, or 400 for an id given in a body)."""
    owner = ctx.account if account is None else account
    obj = ctx.store.get(object_id, object_type, owner)
    if obj is None:
        raise no_such(label(object_type), object_id, param=param, status=status)
    return obj


# -------------------------------------------------------------------------------------------------
# lists


def list_objects(
    ctx: Context,
    object_type: str,
    url: str,
    *,
    filters: tuple[str, ...] = (),
    unsupported: tuple[str, ...] = (),
    allowed: tuple[str, ...] = (),
    where: dict[str, Any] | None = None,
    parent: str | None = None,
    account: str | None = None,
    oldest_first: bool = False,
) -> Obj:
    """One page of a Stripe list (``limit``, ``starting_after``/``ending_before``, ``created``).

    ``filters`` are parameters matched against the field of the same name; ``unsupported`` are
    real Stripe parameters the sandbox refuses; ``allowed`` are accepted (and handled by the
    caller through ``where``, or ignored).
    """
    p = ctx.params
    where = dict(where or {})
    for key in filters:
        if value := p.string(key):
            where[key] = value
    reject_unsupported(p, *unsupported)
    p.allow("limit", "starting_after", "ending_before", "created", *filters, *unsupported, *allowed)
    limit = p.integer("limit", minimum=1, maximum=100)
    limit = 10 if limit is None else limit
    after_id = p.string("starting_after")
    before_id = p.string("ending_before")
    if after_id and before_id:
        raise invalid(
            "You may only specify one of these parameters: starting_after, ending_before.",
            param="ending_before",
        )
    owner = ctx.account if account is None else account
    cursors: dict[str, int] = {}
    for name, cursor_id in (("starting_after", after_id), ("ending_before", before_id)):
        if cursor_id:
            row = ctx.store.row(cursor_id)
            if row is None or row.type != object_type or row.account != owner:
                raise no_such(label(object_type), cursor_id, param=name, status=400)
            cursors[name] = row.seq
    data, has_more = ctx.store.page(
        object_type,
        account=owner,
        parent=parent,
        where=where,
        created=created_filter(p),
        limit=limit,
        starting_after=cursors.get("starting_after"),
        ending_before=cursors.get("ending_before"),
        oldest_first=oldest_first,
    )
    return {
        "object": "list",
        "data": [present(ctx, item) for item in data],
        "has_more": has_more,
        "url": url,
    }


def created_filter(p: Params) -> dict[str, int] | None:
    value = p.raw("created")
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return {"eq": p.integer("created") or 0}
    sub = p.hash("created")
    assert sub is not None
    sub.allow("gt", "gte", "lt", "lte")
    return {op: n for op in ("gt", "gte", "lt", "lte") if (n := sub.integer(op)) is not None}


def embedded_list(ctx: Context, object_type: str, parent: str, url: str) -> Obj:
    data, has_more = ctx.store.page(object_type, account=None, parent=parent, limit=10)
    return {"object": "list", "data": data, "has_more": has_more, "url": url}


# -------------------------------------------------------------------------------------------------
# updates


def text(**options: Any) -> Setter:
    """A setter copying the string parameter to the field of the same name (``None`` if empty)."""

    def set_text(obj: Obj, p: Params, key: str) -> None:
        obj[key] = p.string(key, **options)

    return set_text


def update(
    ctx: Context,
    obj: Obj,
    *,
    fields: Mapping[str, Setter] | None = None,
    guard: Callable[[Params], None] | None = None,
    event: str | None = None,
    event_account: str | None = None,
) -> Obj:
    """Apply an update request to a stored object and save it.

    Only ``metadata`` (merged as Stripe does) and ``fields`` are accepted; each field's setter
    runs, in order, when the parameter is sent, after ``guard`` has seen the parameters. When
    the object changed, ``event`` (``<type>.updated``) is emitted with the previous values.
    """
    fields = fields or {}
    p = ctx.params.allow("metadata", *fields)
    if guard is not None:
        guard(p)
    before = copy.deepcopy(obj)
    for key, setter in fields.items():
        if key in p:
            setter(obj, p, key)
    obj["metadata"] = p.metadata(obj["metadata"])
    ctx.store.save(obj)
    if event is not None and (previous := diff(before, obj)):
        emit(ctx, event, obj, previous=previous, account=event_account)
    return present(ctx, obj)


def diff(before: Obj, after: Obj) -> Obj:
    return {k: before.get(k) for k in after if before.get(k) != after.get(k)}


# -------------------------------------------------------------------------------------------------
# declared endpoints


@dataclass(frozen=True)
class Listing:
    """``GET <path>``: see :func:`list_objects` for the parameters."""

    filters: tuple[str, ...] = ()
    unsupported: tuple[str, ...] = ()
    allowed: tuple[str, ...] = ()


@dataclass(frozen=True)
class Updating:
    """``POST <path>/{id}``: see :func:`update`."""

    fields: Mapping[str, Setter] = field(default_factory=dict)
    event: str | None = None


def serve(
    object_type: str,
    path: str,
    *,
    listing: Listing | None = None,
    retrieving: bool = True,
    updating: Updating | None = None,
) -> None:
    """Register the generic list, retrieve and update endpoints of a resource."""

    def route(method: str, pattern: str, action: str) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            handler.__name__ = handler.__qualname__ = f"{object_type}_{action}"
            return router.add(method, pattern)(handler)

        return register

    if listing is not None:

        def list_handler(ctx: Context) -> Obj:
            return list_objects(
                ctx,
                object_type,
                path,
                filters=listing.filters,
                unsupported=listing.unsupported,
                allowed=listing.allowed,
            )

        route("GET", path, "list")(list_handler)
    if retrieving:

        def retrieve_handler(ctx: Context) -> Obj:
            ctx.params.allow()
            return present(ctx, retrieve(ctx, object_type, ctx.path["id"]))

        route("GET", path + "/{id}", "retrieve")(retrieve_handler)
    if updating is not None:

        def update_handler(ctx: Context) -> Obj:
            obj = retrieve(ctx, object_type, ctx.path["id"])
            return update(ctx, obj, fields=updating.fields, event=updating.event)

        route("POST", path + "/{id}", "update")(update_handler)


# -------------------------------------------------------------------------------------------------
# events and the public form of objects


def emit(
    ctx: Context,
    event_type: str,
    obj: Obj,
    *,
    previous: Obj | None = None,
    account: str | None = None,
) -> None:
    webhooks.emit(
        ctx,
        event_type,
        present(ctx, obj),
        previous=previous,
        account=ctx.account if account is None else account,
    )


def present(ctx: Context, obj: Obj) -> Obj:
    """The public form of a stored object: derived sub-lists filled in."""
    obj = copy.deepcopy(obj)
    kind = obj.get("object")
    if kind == "charge":
        obj["refunds"] = embedded_list(ctx, "refund", obj["id"], f"/v1/charges/{obj['id']}/refunds")
    elif kind == "transfer":
        obj["reversals"] = embedded_list(
            ctx, "transfer_reversal", obj["id"], f"/v1/transfers/{obj['id']}/reversals"
        )
    elif kind == "balance_transaction":
        obj["status"] = "available" if obj["available_on"] <= ctx.now else "pending"
    elif kind == "account" and obj["id"] != platform_id(ctx):
        obj["external_accounts"] = embedded_list(
            ctx, "bank_account", obj["id"], f"/v1/accounts/{obj['id']}/external_accounts"
        )
    return obj

"""Server-rendered pages: the hosted Checkout payment page, the Connect onboarding page, receipts,
the Express dashboard stand-in and an overview. Plain HTML with a small inline stylesheet."""

from __future__ import annotations

import re
from html import escape
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode

from .cards import CARDS, lookup
from .resources.accounts import complete_onboarding
from .resources.balance import balances
from .resources.checkout_sessions import (
    authenticate_checkout,
    expire_if_due,
    pay_checkout_session,
    success_redirect,
)
from .resources.payment_intents import authenticate_payment_intent

if TYPE_CHECKING:
    from .app import App, Request, Response

TITLE = "Likeness Stripe sandbox"
ZERO_DECIMAL = {"bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd"}
SYMBOLS = {"usd": "$", "eur": "€", "gbp": "£", "cad": "CA$", "aud": "A$"}

STYLE = """
*{box-sizing:border-box}
body{margin:0;font:15px/1.5 -apple-system,BlinkMacSystemFont,"Segoe UI",Roboto,Helvetica,Arial,
sans-serif;color:#1a1f36;background:#f6f8fa}
header{background:#1a1f36;color:#fff;padding:12px 24px;display:flex;align-items:center;gap:12px}
header a{color:#fff;text-decoration:none;font-weight:600}
.badge{background:#ffb020;color:#1a1f36;border-radius:4px;padding:1px 8px;font-size:12px;
font-weight:700;letter-spacing:.04em}
main{max-width:880px;margin:32px auto;padding:0 16px}
.card{background:#fff;border:1px solid #e3e8ee;border-radius:8px;padding:24px;margin-bottom:20px;
box-shadow:0 1px 3px rgba(0,0,0,.04)}
.grid{display:grid;grid-template-columns:1fr 1fr;gap:20px}
@media (max-width:700px){.grid{grid-template-columns:1fr}}
h1{font-size:22px;margin:0 0 8px}h2{font-size:17px;margin:0 0 12px}
.muted{color:#697386;font-size:13px}
.total{font-size:28px;font-weight:700;margin:8px 0 16px}
table{width:100%;border-collapse:collapse}td,th{padding:6px 4px;border-bottom:1px solid #eef1f5;
text-align:left;font-size:14px}td.num,th.num{text-align:right}
label{display:block;font-size:13px;font-weight:600;margin:12px 0 4px}
input[type=text],input[type=email]{width:100%;padding:9px 10px;border:1px solid #cfd7df;
border-radius:6px;font-size:15px}
.row{display:flex;gap:12px}.row>div{flex:1}
button{cursor:pointer;border:0;border-radius:6px;padding:11px 16px;font-size:15px;font-weight:600}
.primary{background:#635bff;color:#fff;width:100%;margin-top:18px}
.secondary{background:#eef0f4;color:#1a1f36}
.danger{background:#fff;color:#c23d4b;border:1px solid #f0c2c7}
.actions{display:flex;gap:10px;margin-top:12px;flex-wrap:wrap}
.error{background:#fdecee;border:1px solid #f0c2c7;color:#a0192c;border-radius:6px;
padding:10px 12px;margin-bottom:12px}
.ok{background:#e8f7ee;border:1px solid #b6e3c6;color:#12622f;border-radius:6px;padding:10px 12px}
code{background:#f1f3f7;border-radius:4px;padding:1px 5px;font-size:13px}
"""


def money(amount: int, currency: str) -> str:
    value = f"{amount:,}" if currency in ZERO_DECIMAL else f"{amount / 100:,.2f}"
    symbol = SYMBOLS.get(currency)
    return f"{symbol}{value}" if symbol else f"{value} {currency.upper()}"


def layout(heading: str, body: str) -> str:
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width,initial-scale=1'>"
        "<link rel='icon' href='data:,'>"
        f"<title>{escape(heading)} · {TITLE}</title><style>{STYLE}</style></head><body>"
        f"<header><a href='/'>{TITLE}</a><span class='badge'>TEST MODE</span></header>"
        f"<main>{body}</main></body></html>"
    )


def page(status: int, heading: str, body: str) -> Response:
    from .app import Response

    return Response.html(status, layout(heading, body))


def not_found(what: str) -> Response:
    return page(
        404, "Not found", f"<div class='card'><h1>Not found</h1><p>{escape(what)}</p></div>"
    )


def form_values(request: Request) -> dict[str, str]:
    return dict(parse_qsl(request.body.decode("utf-8", errors="replace"), keep_blank_values=True))


def handle(app: App, request: Request) -> Response:
    from .app import Response

    path, method = request.path, request.method
    if path == "/" and method == "GET":
        return overview(app)
    if match := re.fullmatch(r"/checkout/pay/([\w-]+)", path):
        if method == "GET":
            return checkout_page(app, request, match.group(1))
        if method == "POST":
            return checkout_submit(app, request, match.group(1))
    if match := re.fullmatch(r"/connect/onboarding/(\w+)", path):
        if method == "GET":
            return onboarding_page(app, request, match.group(1))
        if method == "POST":
            return onboarding_submit(app, request, match.group(1))
    if match := re.fullmatch(r"/authenticate/(\w+)", path):
        if method == "GET":
            return authentication_page(app, match.group(1))
        if method == "POST":
            return authentication_submit(app, request, match.group(1))
    if (match := re.fullmatch(r"/receipts/(\w+)", path)) and method == "GET":
        return receipt_page(app, match.group(1))
    if (match := re.fullmatch(r"/express/(\w+)", path)) and method == "GET":
        return express_page(app, match.group(1))
    if method not in ("GET", "POST"):
        return Response(405, b"", [("Allow", "GET, POST")])
    return not_found(f"No page at {path}.")


# -- checkout -------------------------------------------------------------------------------------


def checkout_page(
    app: App,
    request: Request,
    session_id: str,
    *,
    error: str | None = None,
    status: int = 200,
    card: str = "4242 4242 4242 4242",
    email: str | None = None,
) -> Response:
    with app.store.transaction():
        row = app.store.row(session_id)
        if row is None or row.type != "checkout.session":
            return not_found(f"No such Checkout Session: {session_id}")
        session = expire_if_due(app.context(row.account), row.data)
        items = [r.data for r in app.store.find("item", parent=session_id)]
        pi = app.store.get(session["payment_intent"] or "", "payment_intent")
    cur = session["currency"]
    lines = "".join(
        f"<tr><td>{escape(item['description'] or '')}</td><td class='num'>{item['quantity']}</td>"
        f"<td class='num'>{money(item['amount_total'], cur)}</td></tr>"
        for item in items
    )
    summary = (
        "<div class='card'><span class='muted'>Pay Likeness</span>"
        f"<div class='total'>{money(session['amount_total'], cur)}</div>"
        "<table><tr><th>Item</th><th class='num'>Qty</th><th class='num'>Amount</th></tr>"
        f"{lines}<tr><th>Total</th><th></th><th class='num'>"
        f"{money(session['amount_total'], cur)}</th></tr></table>"
        f"<p class='muted'>Checkout Session <code>{escape(session_id)}</code></p></div>"
    )
    if session["status"] == "complete":
        target = success_redirect(session)
        link = f"<p><a href='{escape(target)}'>Return to the merchant</a></p>" if target else ""
        panel = (
            "<div class='card'><h1>Paid</h1><p class='ok'>This payment is complete.</p>"
            f"{link}</div>"
        )
        return page(200, "Payment complete", f"<div class='grid'>{summary}{panel}</div>")
    if session["status"] == "expired":
        panel = (
            "<div class='card'><h1>Session expired</h1>"
            "<p>This Checkout Session has expired and can no longer be paid.</p></div>"
        )
        return page(200, "Session expired", f"<div class='grid'>{summary}{panel}</div>")
    if pi is not None and pi["status"] == "requires_action" and session["status"] == "open":
        panel = (
            "<div class='card'><h1>Authenticate your payment</h1>"
            "<p>Your bank asks you to confirm this payment (3-D Secure 2 test challenge).</p>"
            f"<form method='post' action='/checkout/pay/{escape(session_id)}'>"
            "<div class='actions'>"
            "<button class='primary' style='width:auto' type='submit' name='action' "
            "value='authenticate'>Complete authentication</button>"
            "<button class='danger' type='submit' name='action' value='fail_authentication'>"
            "Fail authentication</button></div></form></div>"
        )
        return page(status, "Authenticate", f"<div class='grid'>{summary}{panel}</div>")
    email = email if email is not None else session["customer_email"] or "customer@example.com"
    banner = f"<div class='error' role='alert'>{escape(error)}</div>" if error else ""
    hints = "".join(
        f"<tr><td><code>{number}</code></td><td>{escape(describe(number))}</td></tr>"
        for number in (
            "4242424242424242",
            "5555555555554444",
            "4000000000000077",
            "4000000000003220",
            "4000000000000002",
            "4000000000009995",
            "4000000000000069",
            "4000000000000127",
        )
    )
    cancel = ""
    if session["cancel_url"]:
        cancel = (
            "<button class='secondary' type='submit' name='action' value='cancel' "
            "formnovalidate>Cancel and return</button>"
        )
    form = (
        "<div class='card'><h1>Pay with card</h1>"
        f"{banner}<form method='post' action='/checkout/pay/{escape(session_id)}'>"
        "<label for='email'>Email</label>"
        f"<input type='email' id='email' name='email' value='{escape(email)}'>"
        "<label for='card'>Card number</label>"
        f"<input type='text' id='card' name='card' value='{escape(card)}' "
        "inputmode='numeric' autocomplete='off'>"
        "<div class='row'><div><label for='exp'>Expiry</label>"
        "<input type='text' id='exp' name='exp' value='12 / 34'></div>"
        "<div><label for='cvc'>CVC</label><input type='text' id='cvc' name='cvc' value='123'>"
        "</div></div>"
        "<button class='primary' type='submit' name='action' value='pay'>"
        f"Pay {money(session['amount_total'], cur)}</button>"
        "<div class='actions'>"
        "<button class='danger' type='submit' name='action' value='decline'>"
        "Pay with a declining card</button>"
        f"{cancel}</div></form>"
        "<h2 style='margin-top:20px'>Test cards</h2><table>"
        f"{hints}</table></div>"
    )
    return page(status, "Checkout", f"<div class='grid'>{summary}{form}</div>")


def describe(number: str) -> str:
    card = CARDS[number]
    if card.three_d_secure:
        return "Requires 3-D Secure authentication"
    if card.bypass_pending:
        return "Succeeds, funds available at once"
    if not card.declines:
        return f"{card.brand.capitalize()} — succeeds"
    return f"Declines ({(card.decline_code or card.error_code).replace('_', ' ')})"


def checkout_submit(app: App, request: Request, session_id: str) -> Response:
    from .app import Response

    values = form_values(request)
    action = values.get("action", "pay")
    card = values.get("card", "").strip() or "4242424242424242"
    email = values.get("email") or None
    with app.store.transaction():
        row = app.store.row(session_id)
        if row is None or row.type != "checkout.session":
            return not_found(f"No such Checkout Session: {session_id}")
        session = row.data
        if action == "cancel":
            if session["cancel_url"]:
                return Response.redirect(session["cancel_url"])
            return checkout_page(app, request, session_id)
        if session["status"] != "open":
            return checkout_page(app, request, session_id)
        ctx = app.context(row.account, base_url=app.base_url(request))
        if action in ("authenticate", "fail_authentication"):
            session, error = authenticate_checkout(ctx, session, succeed=action == "authenticate")
            return checkout_done(app, request, session, error)
        if action == "decline":
            card = "4000000000000002"
        elif lookup(card) is None:
            return checkout_page(
                app,
                request,
                session_id,
                status=400,
                error="Your card number is not a Stripe test card. Use one of the cards below.",
                card=card,
                email=email,
            )
        session, error = pay_checkout_session(ctx, session, card, email=email)
    return checkout_done(app, request, session, error, card=card, email=email)


def checkout_done(
    app: App,
    request: Request,
    session: dict[str, Any],
    error: Any,
    *,
    card: str = "4242 4242 4242 4242",
    email: str | None = None,
) -> Response:
    from .app import Response

    if error is not None:
        return checkout_page(
            app, request, session["id"], error=error.message, status=402, card=card, email=email
        )
    target = success_redirect(session) if session["status"] == "complete" else None
    if target:
        return Response.redirect(target)
    return checkout_page(app, request, session["id"])


# -- 3-D Secure authentication (a PaymentIntent's next_action) -----------------------------------


def authentication_page(app: App, pi_id: str) -> Response:
    with app.store.transaction():
        pi = app.store.get(pi_id, "payment_intent")
    if pi is None:
        return not_found(f"No such PaymentIntent: {pi_id}")
    if pi["status"] != "requires_action":
        body = (
            "<div class='card'><h1>Nothing to authenticate</h1>"
            f"<p>This payment is {escape(pi['status'])}.</p></div>"
        )
        return page(200, "Authentication", body)
    body = (
        "<div class='card'><span class='muted'>3-D Secure 2 test page</span>"
        f"<h1>Authenticate a payment of {money(pi['amount'], pi['currency'])}</h1>"
        f"<form method='post' action='/authenticate/{escape(pi_id)}'><div class='actions'>"
        "<button class='primary' style='width:auto' type='submit' name='action' "
        "value='complete'>Complete authentication</button>"
        "<button class='danger' type='submit' name='action' value='fail'>"
        "Fail authentication</button></div></form></div>"
    )
    return page(200, "Authentication", body)


def authentication_submit(app: App, request: Request, pi_id: str) -> Response:
    """Pass or fail the challenge, then return to the ``return_url`` as Stripe does (with
    ``payment_intent``, ``payment_intent_client_secret`` and ``redirect_status``)."""
    from .app import Response

    succeed = form_values(request).get("action") == "complete"
    with app.store.transaction():
        row = app.store.row(pi_id)
        if row is None or row.type != "payment_intent":
            return not_found(f"No such PaymentIntent: {pi_id}")
        if row.data["status"] != "requires_action":
            return authentication_page(app, pi_id)
        ctx = app.context(row.account, base_url=app.base_url(request))
        pi = authenticate_payment_intent(ctx, row.data, succeed=succeed)
        return_url = row.meta.get("return_url")
    if not return_url:
        return authentication_page(app, pi_id)
    query = urlencode(
        {
            "payment_intent": pi["id"],
            "payment_intent_client_secret": pi["client_secret"],
            "redirect_status": "succeeded" if pi["status"] == "succeeded" else "failed",
        }
    )
    return Response.redirect(return_url + ("&" if "?" in return_url else "?") + query)


# -- onboarding -----------------------------------------------------------------------------------


def load_link(app: App, token: str) -> dict[str, Any] | None:
    return app.store.get(f"link_{token}", "_account_link")


def onboarding_page(app: App, request: Request, token: str) -> Response:
    from .app import Response

    with app.store.transaction():
        link = load_link(app, token)
        if link is None:
            return not_found("This onboarding link does not exist.")
        if link["used"] or link["expires_at"] < app.now():
            return Response.redirect(link["refresh_url"])
        account = app.store.get(link["account"], "account")
    if account is None:
        return not_found("The account of this link no longer exists.")
    caps = ", ".join(escape(c) for c in account["capabilities"]) or "none"
    due = "".join(
        f"<li><code>{escape(d)}</code></li>" for d in account["requirements"]["currently_due"]
    )
    state = (
        "<p class='ok'>This account has already completed onboarding.</p>"
        if account["details_submitted"]
        else f"<p>Stripe would now collect:</p><ul>{due}</ul>"
    )
    body = (
        "<div class='card'><span class='muted'>Likeness partners with Stripe for payouts</span>"
        f"<h1>Set up payouts for {escape(account['email'] or account['id'])}</h1>"
        f"<p>Connected account <code>{escape(account['id'])}</code> ({escape(account['type'])}, "
        f"{escape(account['country'])}) · requested capabilities: {caps}</p>{state}"
        f"<form method='post' action='/connect/onboarding/{escape(token)}'>"
        "<div class='actions'>"
        "<button class='primary' style='width:auto' type='submit' name='action' "
        "value='complete'>Complete onboarding</button>"
        "<button class='secondary' type='submit' name='action' value='incomplete'>"
        "Leave incomplete</button></div></form>"
        "<p class='muted'>Completing fills in test identity and bank details (STRIPE TEST BANK "
        "•••• 6789), activates the requested capabilities and enables charges and payouts.</p>"
        "</div>"
    )
    return page(200, "Connect onboarding", body)


def onboarding_submit(app: App, request: Request, token: str) -> Response:
    from .app import Response

    values = form_values(request)
    with app.store.transaction():
        link = load_link(app, token)
        if link is None:
            return not_found("This onboarding link does not exist.")
        if link["used"] or link["expires_at"] < app.now():
            return Response.redirect(link["refresh_url"])
        if app.store.get(link["account"], "account") is None:
            return not_found("The account of this link no longer exists.")
        link["used"] = True
        app.store.save(link)
        complete = values.get("action") == "complete"
        ctx = app.context(base_url=app.base_url(request))
        complete_onboarding(ctx, link["account"], complete=complete)
    return Response.redirect(link["return_url"] if complete else link["refresh_url"])


# -- receipts, express dashboard, overview --------------------------------------------------------


def receipt_page(app: App, charge_id: str) -> Response:
    with app.store.transaction():
        charge = app.store.get(charge_id, "charge")
    if charge is None:
        return not_found(f"No such receipt: {charge_id}")
    card = charge["payment_method_details"].get("card") or {}
    body = (
        "<div class='card'><span class='muted'>Receipt from Likeness</span>"
        f"<div class='total'>{money(charge['amount'], charge['currency'])}</div>"
        f"<table><tr><td>Charge</td><td><code>{escape(charge['id'])}</code></td></tr>"
        f"<tr><td>Status</td><td>{escape(charge['status'])}</td></tr>"
        f"<tr><td>Card</td><td>{escape(card.get('brand', ''))} •••• {escape(card.get('last4', ''))}"
        f"</td></tr><tr><td>Refunded</td><td>"
        f"{money(charge['amount_refunded'], charge['currency'])}</td></tr></table></div>"
    )
    return page(200, "Receipt", body)


def express_page(app: App, account_id: str) -> Response:
    with app.store.transaction():
        account = app.store.get(account_id, "account", "")
        if account is None:
            return not_found(f"No such account: {account_id}")
        amounts = balances(app.context(account_id), account_id)
        payouts = [r.data for r in app.store.find("payout", account=account_id)][-10:]
    rows = (
        "".join(
            f"<tr><td>{escape(c.upper())}</td><td class='num'>{money(v['available'], c)}</td></tr>"
            for c, v in amounts.items()
        )
        or "<tr><td colspan='2' class='muted'>No balance yet</td></tr>"
    )
    payout_rows = (
        "".join(
            f"<tr><td><code>{escape(p['id'])}</code></td><td>{escape(p['status'])}</td>"
            f"<td class='num'>{money(p['amount'], p['currency'])}</td></tr>"
            for p in reversed(payouts)
        )
        or "<tr><td colspan='3' class='muted'>No payouts yet</td></tr>"
    )
    body = (
        f"<div class='card'><h1>Express dashboard · {escape(account['email'] or account_id)}</h1>"
        f"<h2>Available balance</h2><table>{rows}</table></div>"
        f"<div class='card'><h2>Recent payouts</h2><table>{payout_rows}</table></div>"
    )
    return page(200, "Express dashboard", body)


def overview(app: App) -> Response:
    with app.store.transaction():
        platform = app.platform_account_id()
        counts = app.store.counts()
        amounts = balances(app.context(), "")
        sessions = [r.data for r in app.store.find("checkout.session")][-10:]
        accounts = [r.data for r in app.store.find("account", account="")][-10:]
    balance = ", ".join(money(v["available"], c) for c, v in amounts.items()) or money(0, "usd")
    count_rows = "".join(
        f"<tr><td>{escape(k)}</td><td class='num'>{v}</td></tr>"
        for k, v in sorted(counts.items())
        if not k.startswith("_")
    )
    session_rows = (
        "".join(
            f"<tr><td><a href='/checkout/pay/{escape(s['id'])}'>{escape(s['id'][:24])}…</a></td>"
            f"<td>{escape(s['status'])}</td>"
            f"<td class='num'>{money(s['amount_total'], s['currency'])}</td></tr>"
            for s in reversed(sessions)
        )
        or "<tr><td colspan='3' class='muted'>None yet</td></tr>"
    )
    account_rows = (
        "".join(
            f"<tr><td><a href='/express/{escape(a['id'])}'>{escape(a['id'])}</a></td>"
            f"<td>{escape(a['email'] or '')}</td>"
            f"<td>{'onboarded' if a['details_submitted'] else 'onboarding pending'}</td></tr>"
            for a in reversed(accounts)
        )
        or "<tr><td colspan='3' class='muted'>None yet</td></tr>"
    )
    body = (
        f"<div class='card'><h1>{TITLE}</h1><p>A local stand-in for the Stripe API "
        f"(<code>/v1</code>). Platform account <code>{escape(platform)}</code>; available "
        f"balance <strong>{balance}</strong>.</p></div>"
        "<div class='grid'>"
        f"<div class='card'><h2>Checkout Sessions</h2><table>{session_rows}</table></div>"
        f"<div class='card'><h2>Connected accounts</h2><table>{account_rows}</table></div>"
        "</div>"
        f"<div class='card'><h2>Objects</h2><table>{count_rows}</table></div>"
    )
    return page(200, TITLE, body)

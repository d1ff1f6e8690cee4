"""What waits for the model: her dashboard lists the proofs she may still answer, soonest due
first, each with its deadline; the proof page states the time left (the text is right without
a script; countdown.js ticks it from the same two instants)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from marketplace.approvals import selectors
from marketplace.approvals.models import Proof
from tests.approvals.test_queries import first_proof, grow_to, queries  # noqa: F401
from tests.factories import TalentFactory, TwinFactory, UserFactory

pytestmark = pytest.mark.django_db

DASHBOARD = "/me/dashboard/"


def countdown(page: str) -> tuple[int, int, str]:
    """The first countdown on the page: its deadline, the server's now, and its text."""
    found = re.search(
        r'<time class="countdown" datetime="[^"]+" data-due="(\d+)" data-now="(\d+)" '
        r'role="timer">([^<]+)</time>',
        page,
    )
    assert found, "no countdown on the page"
    return int(found[1]), int(found[2]), found[3]


def test_the_model_s_dashboard_lists_a_waiting_proof_with_its_deadline(first_proof, login):  # noqa: F811
    page = login(first_proof.talent.user).get(DASHBOARD).content.decode()

    due, now, text = countdown(page)
    assert 'id="waiting-proofs"' in page and 'id="no-waiting-proofs"' not in page
    assert reverse("approvals:detail", args=[first_proof.reference]) in page
    assert f"<strong>{first_proof.brand.name}</strong>" in page
    assert due == int(first_proof.due_at.timestamp())
    assert 72 * 3600 - 60 < due - now <= 72 * 3600
    assert text == "2\xa0days, 23\xa0hours"
    assert "js/countdown.js" in page


def test_answered_lapsed_and_overdue_proofs_are_not_waiting(first_proof, login):  # noqa: F811
    client = login(first_proof.talent.user)
    Proof.objects.filter(pk=first_proof.pk).update(due_at=timezone.now() - timedelta(minutes=1))
    overdue = client.get(DASHBOARD).content.decode()
    Proof.objects.filter(pk=first_proof.pk).update(
        status=Proof.Status.APPROVED, due_at=timezone.now() + timedelta(hours=1)
    )
    approved = client.get(DASHBOARD).content.decode()

    for page in (overdue, approved):
        assert 'id="no-waiting-proofs"' in page
        assert first_proof.reference not in page
        assert "js/countdown.js" not in page


def test_another_model_sees_none_of_them(first_proof, agency, login):  # noqa: F811
    other = TalentFactory(agency=agency, user=UserFactory(), full_name="Other Model")
    TwinFactory(talent=other)

    page = login(other.user).get(DASHBOARD).content.decode()

    assert 'id="no-waiting-proofs"' in page
    assert "Nothing to approve right now." in page
    assert first_proof.reference not in page and first_proof.brand.name not in page
    assert selectors.proofs_awaiting_model(other).proofs == []


def test_the_dashboard_shows_the_ten_soonest_and_links_to_the_rest(first_proof):  # noqa: F811
    grow_to(15, first_proof)
    Proof.objects.filter(reference="PRF-B0000012").update(
        due_at=timezone.now() + timedelta(hours=1)
    )

    waiting = selectors.proofs_awaiting_model(first_proof.talent)

    assert len(waiting.proofs) == 10 and waiting.more is True
    assert waiting.proofs[0].reference == "PRF-B0000012"
    dues = [p.due_at for p in waiting.proofs]
    assert dues == sorted(dues)


def test_the_dashboard_costs_the_same_for_1_10_and_300_waiting_proofs(first_proof, login):  # noqa: F811
    # One proof against ten shows a query per row (ten rows are listed either way after that);
    # ten against 300 shows a query that grows with the model's proofs.
    client = login(first_proof.talent.user)
    client.get(DASHBOARD)
    one = queries(client, DASHBOARD)
    grow_to(10, first_proof)
    ten = queries(client, DASHBOARD)

    grow_to(300, first_proof)
    many = queries(client, DASHBOARD)

    print(f"\nmodel dashboard queries: 1 waiting proof {one}, 10 {ten}, 300 {many}")
    assert one == ten == many


@pytest.mark.parametrize("who", ["brand", "talent"])
def test_the_proof_page_counts_down_from_the_server_s_clock(first_proof, brand_manager, login, who):  # noqa: F811
    user = brand_manager.user if who == "brand" else first_proof.talent.user
    url = reverse("approvals:detail", args=[first_proof.reference])

    page = login(user).get(url).content.decode()

    due, now, text = countdown(page)
    assert due == int(first_proof.due_at.timestamp())
    assert 72 * 3600 - 60 < due - now <= 72 * 3600
    assert f"Answer due in {countdown_html(page)}</strong>" in page
    assert text == "2\xa0days, 23\xa0hours"
    assert "js/countdown.js" in page


def countdown_html(page: str) -> str:
    start = page.index('<time class="countdown"')
    return page[start : page.index("</time>", start) + len("</time>")]


def test_a_decided_proof_s_page_has_no_countdown(first_proof, brand_manager, login):  # noqa: F811
    Proof.objects.filter(pk=first_proof.pk).update(status=Proof.Status.REJECTED)

    page = (
        login(brand_manager.user)
        .get(reverse("approvals:detail", args=[first_proof.reference]))
        .content.decode()
    )

    assert 'class="countdown"' not in page and "js/countdown.js" not in page

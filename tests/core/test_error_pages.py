"""Error pages people see: in the site's look, in plain words, with a way back."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.test import Client, RequestFactory
from django.views import defaults


def test_a_brand_asking_for_a_missing_licence_gets_the_friendly_404(login, brand_manager):
    # given a signed-in brand
    client = login(brand_manager.user)

    # when it opens a licence that does not exist (or is another brand's)
    response = client.get("/licences/LIC-NOPE0000/")

    # then the page is the site's own, says what happened and leads back
    assert response.status_code == 404
    html = response.content.decode()
    assert "<title>Page not found · Likeness</title>" in html
    assert "We cannot find that page" in html
    assert 'href="/">Back to your dashboard</a>' in html
    assert 'href="/catalogue/">Browse the catalogue</a>' in html
    assert brand_manager.organisation.name in html  # the header: still signed in
    assert "URLconf" not in html
    assert "LIC-NOPE0000" not in html  # nothing echoed back from the address


@pytest.mark.django_db
def test_an_unknown_address_for_a_visitor_offers_the_home_page_and_sign_in(client):
    response = client.get("/no/such/page/")

    html = response.content.decode()
    assert response.status_code == 404
    assert "We cannot find that page" in html
    assert 'href="/">Back to the home page</a>' in html
    assert "URLconf" not in html


@pytest.mark.django_db
def test_the_403_page_is_friendly():
    request = RequestFactory().get("/somewhere/")

    request.user = AnonymousUser()

    response = defaults.permission_denied(request, PermissionDenied("secret reason"))

    html = response.content.decode()
    assert response.status_code == 403
    assert "<title>Not allowed · Likeness</title>" in html
    assert "You do not have access to this page" in html
    assert "secret reason" not in html


def test_the_400_and_500_pages_render_without_a_request_context():
    request = RequestFactory().get("/somewhere/")

    bad = defaults.bad_request(request, Exception("detail"))
    error = defaults.server_error(request)

    assert bad.status_code == 400
    assert "<title>Bad request · Likeness</title>" in bad.content.decode()
    assert error.status_code == 500
    html = error.content.decode()
    assert "<title>Something went wrong · Likeness</title>" in html
    assert 'href="/">Back to the home page</a>' in html


@pytest.mark.django_db
def test_a_form_sent_without_its_csrf_token_gets_the_friendly_page():
    response = Client(enforce_csrf_checks=True).post("/accounts/login/", {"login": "x"})

    assert response.status_code == 403
    assert "<title>Form expired · Likeness</title>" in response.content.decode()

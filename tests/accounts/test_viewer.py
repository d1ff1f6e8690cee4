"""Who is looking: one query resolves a member's memberships and whether they are a model too."""

from __future__ import annotations

import pytest
from django.contrib.sessions.backends.cache import SessionStore
from django.test import RequestFactory

from marketplace.accounts.tenancy import resolve_viewer
from tests.factories import AgencyFactory, BrandFactory, MembershipFactory, TalentFactory

pytestmark = pytest.mark.django_db


def viewer_of(user):
    request = RequestFactory().get("/")
    request.user = user
    request.session = SessionStore()
    return resolve_viewer(request)


def test_a_member_is_resolved_in_one_query(django_assert_num_queries):
    member = MembershipFactory(organisation=BrandFactory())

    with django_assert_num_queries(1):
        viewer = viewer_of(member.user)
        assert viewer.is_brand and not viewer.is_talent
        assert [m.pk for m in viewer.memberships] == [member.pk]


def test_a_member_who_is_also_a_model_is_both(django_assert_num_queries):
    member = MembershipFactory(organisation=BrandFactory())
    talent = TalentFactory(agency=AgencyFactory(), user=member.user)

    with django_assert_num_queries(1):
        viewer = viewer_of(member.user)
        assert viewer.is_brand and viewer.is_talent
        assert viewer.own_talent.pk == talent.pk
        assert viewer.own_talent.agency.pk == talent.agency_id


def test_a_model_without_a_team_is_looked_up_as_before():
    talent = TalentFactory(agency=AgencyFactory(), user=MembershipFactory().user)
    assert talent.user is not None
    talent.user.memberships.all().delete()

    viewer = viewer_of(talent.user)

    assert viewer.membership is None and viewer.own_talent.pk == talent.pk

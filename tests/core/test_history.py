"""Timelines and histories read as sentences naming who acted, never as event codes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import marketplace
from marketplace.core.history import SENTENCES
from marketplace.talent import selectors as talent_selectors
from marketplace.talent import services as talent_services

pytestmark = pytest.mark.django_db


def test_every_licence_and_twin_verb_in_the_code_has_a_sentence():
    source = "\n".join(p.read_text() for p in Path(marketplace.__file__).parent.rglob("*.py"))
    recorded = r'(?:verb=|audit\.record\(\s*[\w.]+(?: or \w+)?,\s*)"((?:licence|twin)\.[a-z_]+)"'
    verbs = set(re.findall(recorded, source))

    assert "licence.contract_signed" in verbs and "twin.consent_revoked" in verbs
    assert verbs - SENTENCES.keys() == set()


def test_the_twin_history_is_written_in_sentences(agency_manager, twin):
    agency_manager.user.full_name = "Nora Booker"
    agency_manager.user.save()
    talent_services.change_twin_status(by=agency_manager, twin_id=twin.pk, action="pause")

    history = talent_selectors.twin_history(twin)

    assert history[0].sentence == f"{twin.agency.name} paused bookings (Nora Booker, manager)"

"""`make run`'s closing banner: the URL and the demo logins come last, logs are named."""

from __future__ import annotations

from pathlib import Path

import pytest

from marketplace.core.management.commands.devstack import Command
from marketplace.talent.management.commands.load_demo import LOGINS_FILE, login_lines


@pytest.mark.django_db
def test_banner_ends_with_the_url_the_logins_and_where_the_logs_are(settings, tmp_path):
    # given the logins load_demo wrote
    settings.VAR_DIR = tmp_path
    (tmp_path / LOGINS_FILE).write_text("\n".join(login_lines()) + "\n", encoding="utf-8")
    logs = {"worker": tmp_path / "log" / "worker.log"}

    # when devstack prints its banner
    banner = Command(no_color=True)._banner("http://127.0.0.1:8000", logs)

    # then the URL, every login and the worker's log file are in it, and it closes the output
    lines = banner.splitlines()
    assert "Likeness is running at http://127.0.0.1:8000/" in lines
    assert "Demo logins (password for all: likeness-demo)" in lines
    assert any(line.startswith("  brand   Kestrel Apparel    owner@kestrel.test") for line in lines)
    assert any(line.startswith("  crew    ana.pereira@crew.test") for line in lines)
    assert f"Logs: web requests here; worker in {tmp_path / 'log' / 'worker.log'}" in lines
    assert lines[-2:] == ["Ctrl-C stops everything.", "=" * 78]


def test_banner_without_demo_data_says_how_to_load_it(settings, tmp_path: Path):
    settings.VAR_DIR = tmp_path

    banner = Command(no_color=True)._banner("http://127.0.0.1:8000", {})

    assert "No demo data yet: `python manage.py load_demo` creates it and its logins." in banner

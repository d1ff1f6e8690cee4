"""Catalogue search on PostgreSQL: a weighted full-text vector and a trigram index of names.

`search_vector` is a generated column, so PostgreSQL recomputes it whenever the name, tags,
description or search document change (no code path can forget to): the name weighs most
(A), then the tags (B), the description (C) and the rest of the search document, the
talent's and agency's names (D), stemmed by the English configuration ("dresses" finds
"dress"). Its GIN index answers `@@`; a GIN trigram index of the display name answers
misspelt names (`<%`, pg_trgm's word similarity). The catalogue selector reads them.

Adding a stored generated column rewrites the twin table once. Other databases (SQLite)
get the tags column only and keep the substring search."""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations, models

# `catalogue.search` names the same column and configuration.
VECTOR = """
setweight(to_tsvector('english'::regconfig, coalesce(display_name, '')), 'A') ||
setweight(to_tsvector('english'::regconfig, coalesce(search_tags, '')), 'B') ||
setweight(to_tsvector('english'::regconfig, coalesce(description, '')), 'C') ||
setweight(to_tsvector('english'::regconfig, coalesce(search_document, '')), 'D')
"""
CREATE = [
    f"ALTER TABLE talent_twin ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ({VECTOR}) "
    "STORED",
    "CREATE INDEX twin_search_vector_idx ON talent_twin USING gin (search_vector)",
    "CREATE INDEX twin_name_trgm_idx ON talent_twin USING gin (display_name gin_trgm_ops)",
]
DROP = [
    "DROP INDEX IF EXISTS twin_name_trgm_idx",
    "DROP INDEX IF EXISTS twin_search_vector_idx",
    "ALTER TABLE talent_twin DROP COLUMN IF EXISTS search_vector",
]


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in CREATE:
            schema_editor.execute(statement)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in DROP:
            schema_editor.execute(statement)


def fill_search_tags(apps, schema_editor):
    """Existing twins' tag names, in one statement (before the vector is generated)."""
    table = "talent_twin"
    if schema_editor.connection.vendor == "postgresql":
        names = "string_agg(s.name, ' ' ORDER BY s.name)"
    else:
        names = "group_concat(s.name, ' ')"
    schema_editor.execute(
        f"UPDATE {table} SET search_tags = coalesce((SELECT {names} FROM talent_twin_tags tt "
        f"JOIN talent_styletag s ON s.id = tt.styletag_id WHERE tt.twin_id = {table}.id), '')"
    )


class Migration(migrations.Migration):
    dependencies = [("talent", "0011_ratecard_approval_premium")]

    operations = [
        TrigramExtension(),
        migrations.AddField(
            model_name="twin",
            name="search_tags",
            field=models.TextField(blank=True, editable=False),
        ),
        migrations.RunPython(fill_search_tags, migrations.RunPython.noop),
        migrations.RunPython(create, drop),
    ]

"""PostgreSQL enforces exclusivity itself: no two brands' active holds may overlap on the same
twin, category, territory and dates when either is exclusive.

Exclusive rows carry the unbounded range, non-exclusive rows a range of their own id, so with
`&&` two non-exclusive rows never collide while anything meets an exclusive row. SQLite, the
embedded default, has no exclusion constraints; the services' per-twin lock keeps it correct
for one process.
"""

from django.db import migrations

CREATE = """
CREATE EXTENSION IF NOT EXISTS btree_gist;
ALTER TABLE licensing_exclusivityhold ADD CONSTRAINT exclusivity_no_overlap EXCLUDE USING gist (
    twin_id WITH =,
    category_id WITH =,
    territory WITH =,
    brand_id WITH <>,
    daterange(start_date, end_date, '[]') WITH &&,
    (CASE WHEN exclusive THEN int8range(NULL, NULL) ELSE int8range(id, id + 1) END) WITH &&
) WHERE (active);
"""
DROP = "ALTER TABLE licensing_exclusivityhold DROP CONSTRAINT IF EXISTS exclusivity_no_overlap;"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("licensing", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]

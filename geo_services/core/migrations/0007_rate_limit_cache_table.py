"""The rate-limit counters' table (the "ratelimit" cache, Django's database cache layout).

Created here so that every database the project migrates has it — a fresh clone's `make run` and
`make test`, and the tests' own database — with no separate `createcachetable` step.
"""

from django.core.management import call_command
from django.db import migrations

# The same name as settings.RATE_LIMIT_CACHE_TABLE; a migration keeps its own copy so that it does
# not change meaning when the setting does (a test checks that the two agree).
TABLE = "amanah_rate_limit_cache"


def create_table(apps, schema_editor):
    call_command("createcachetable", TABLE, database=schema_editor.connection.alias, verbosity=0)


def drop_table(apps, schema_editor):
    schema_editor.execute(f"DROP TABLE IF EXISTS {schema_editor.quote_name(TABLE)}")


class Migration(migrations.Migration):
    dependencies = [("core", "0006_district_layer_view")]

    operations = [migrations.RunPython(create_table, drop_table)]

"""A GiST index on venue locations as geography: radius searches in metres (ST_DWithin) and
nearest-first ordering (<->) on geography use it instead of testing every venue."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("venues", "0002_no_double_booking")]

    operations = [
        migrations.RunSQL(
            "CREATE INDEX venues_venue_location_geog ON venues_venue USING gist ((location::geography))",
            "DROP INDEX IF EXISTS venues_venue_location_geog",
        )
    ]

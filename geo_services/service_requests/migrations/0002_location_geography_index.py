"""A GiST index on the request location as geography.

Distances in metres (the duplicate check's 50 m) are computed with ST_DWithin on geography; this
expression index lets that use an index instead of testing every request.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("service_requests", "0001_initial")]

    operations = [
        migrations.RunSQL(
            "CREATE INDEX sr_request_location_geog ON service_requests_servicerequest "
            "USING gist ((location::geography))",
            "DROP INDEX IF EXISTS sr_request_location_geog",
        )
    ]

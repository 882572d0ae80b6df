"""The venues layer's view: the venue's published columns with its district and jurisdiction codes.

A later migration that alters a column used here must drop and recreate the view.
"""

from django.db import migrations

CREATE = """
-- LEFT JOINs on primary keys over NOT NULL foreign keys: the same rows as inner joins, and
-- PostgreSQL drops a join whose columns a query does not read (counts, clustered tiles).
CREATE VIEW venues_layer AS
SELECT v.id,
       v.location,
       v.active,
       v.code,
       v.kind,
       v.name_ar,
       v.name_en,
       v.capacity,
       d.code AS district_code,
       j.code AS jurisdiction_code
FROM venues_venue v
LEFT JOIN core_district d ON d.id = v.district_id
LEFT JOIN core_jurisdiction j ON j.id = v.jurisdiction_id
"""


class Migration(migrations.Migration):
    dependencies = [("venues", "0005_booking_leaves"), ("core", "0005_jurisdiction_currency")]

    operations = [migrations.RunSQL(CREATE, "DROP VIEW venues_layer")]

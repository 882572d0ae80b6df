"""The districts layer's view: each district with its municipality's code, so planners can filter by it.

A later migration that alters a column used here must drop and recreate the view.
"""

from django.db import migrations

CREATE = """
-- LEFT JOINs on primary keys over NOT NULL foreign keys: the same rows as inner joins, and
-- PostgreSQL drops a join whose columns a query does not read (counts, clustered tiles).
CREATE VIEW core_district_layer AS
SELECT d.id, d.geom, d.code, d.name_ar, d.name_en, d.population, j.code AS jurisdiction_code
FROM core_district d
LEFT JOIN core_jurisdiction j ON j.id = d.jurisdiction_id
"""


class Migration(migrations.Migration):
    dependencies = [("core", "0005_jurisdiction_currency")]

    operations = [migrations.RunSQL(CREATE, "DROP VIEW core_district_layer")]

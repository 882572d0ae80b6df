"""The service requests layer's public view: published columns only, names joined in.

The layer engine reads one relation per layer; this view is that relation for service requests.
It carries no free text (description, address, notes) and no contact or account column: those may
hold a citizen's personal data. A later migration that alters a column used here must drop and
recreate the view.
"""

from django.db import migrations

CREATE = """
-- LEFT JOINs on primary keys over NOT NULL foreign keys: the same rows as inner joins, and
-- PostgreSQL drops a join whose columns a query does not read (counts, clustered tiles).
CREATE VIEW service_requests_public_layer AS
SELECT r.id,
       r.location,
       r.status,
       j.code AS jurisdiction_code,
       c.code AS category_code,
       c.name_ar AS category_name_ar,
       c.name_en AS category_name_en,
       d.code AS district_code,
       r.requested_at,
       r.updated_at,
       r.expected_at,
       r.closed_at
FROM service_requests_servicerequest r
LEFT JOIN core_jurisdiction j ON j.id = r.jurisdiction_id
LEFT JOIN service_requests_servicecategory c ON c.id = r.category_id
LEFT JOIN core_district d ON d.id = r.district_id
"""


class Migration(migrations.Migration):
    dependencies = [("service_requests", "0003_cheap_default_ordering"), ("core", "0005_jurisdiction_currency")]

    operations = [migrations.RunSQL(CREATE, "DROP VIEW service_requests_public_layer")]

"""The inspections layer's view (staff only): each job at its target with the result, if any.

No inspector names and no answers: planners see where inspections happen and how they came out;
who did them and the details stay in the inspection pages. A later migration that alters a column
used here must drop and recreate the view.
"""

from django.db import migrations

CREATE = """
-- LEFT JOINs on primary keys over NOT NULL foreign keys: the same rows as inner joins, and
-- PostgreSQL drops a join whose columns a query does not read (counts, clustered tiles).
CREATE VIEW inspections_layer AS
SELECT job.id,
       job.target_location,
       job.status,
       job.target_kind,
       job.target_label,
       job.due_date,
       job.done_at,
       job.service_request_id,
       d.code AS district_code,
       j.code AS jurisdiction_code,
       i.score,
       i.passed,
       i.finished_at
FROM inspections_inspectionjob job
LEFT JOIN core_district d ON d.id = job.district_id
LEFT JOIN core_jurisdiction j ON j.id = job.jurisdiction_id
LEFT JOIN inspections_inspection i ON i.job_id = job.id
"""


class Migration(migrations.Migration):
    dependencies = [("inspections", "0002_guards"), ("core", "0005_jurisdiction_currency")]

    operations = [migrations.RunSQL(CREATE, "DROP VIEW inspections_layer")]

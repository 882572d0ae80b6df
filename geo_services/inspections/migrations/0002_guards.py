"""Guards the CHECK constraints cannot express, as triggers, so they hold whatever writes the rows.

- A published checklist version, and its items, can never be changed or deleted: inspections point
  at the checklist they were filled against. A version is written unpublished, its items added, and
  then published, inside one transaction; a deferred trigger refuses to commit a version that is
  still unpublished, so no draft outlives its transaction.
- An inspection is filled against its job's checklist version.
- The audit trail is only ever added to.
- inspections_local_iso(ts, zone): a timestamp as ISO 8601 text with the zone's UTC offset, for the
  GeoJSON PostGIS builds (the API shows times in the jurisdiction's zone, e.g. …T10:10:00+03:00).
"""

from django.db import migrations

FORWARD = """
CREATE FUNCTION inspections_version_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.published THEN
        RAISE EXCEPTION 'checklist version % is published and cannot be changed or deleted; publish a new version instead', OLD.id
            USING ERRCODE = 'integrity_constraint_violation', CONSTRAINT = 'insp_version_immutable';
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END $$;

CREATE TRIGGER insp_version_immutable
    BEFORE UPDATE OR DELETE ON inspections_templateversion
    FOR EACH ROW EXECUTE FUNCTION inspections_version_immutable();

CREATE FUNCTION inspections_version_published_at_commit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM inspections_templateversion WHERE id = NEW.id AND NOT published) THEN
        RAISE EXCEPTION 'checklist version % was written but never published', NEW.id
            USING ERRCODE = 'integrity_constraint_violation', CONSTRAINT = 'insp_version_published';
    END IF;
    RETURN NULL;
END $$;

CREATE CONSTRAINT TRIGGER insp_version_published
    AFTER INSERT ON inspections_templateversion
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION inspections_version_published_at_commit();

CREATE FUNCTION inspections_item_of_draft_only() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    version_ids bigint[];
BEGIN
    version_ids := CASE TG_OP
        WHEN 'INSERT' THEN ARRAY[NEW.version_id]
        WHEN 'DELETE' THEN ARRAY[OLD.version_id]
        ELSE ARRAY[OLD.version_id, NEW.version_id] END;
    IF EXISTS (SELECT 1 FROM inspections_templateversion WHERE id = ANY(version_ids) AND published) THEN
        RAISE EXCEPTION 'the items of a published checklist version cannot be changed; publish a new version instead'
            USING ERRCODE = 'integrity_constraint_violation', CONSTRAINT = 'insp_item_immutable';
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END $$;

CREATE TRIGGER insp_item_immutable
    BEFORE INSERT OR UPDATE OR DELETE ON inspections_checklistitem
    FOR EACH ROW EXECUTE FUNCTION inspections_item_of_draft_only();

CREATE FUNCTION inspections_inspection_matches_job() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (
        SELECT 1 FROM inspections_inspectionjob
        WHERE id = NEW.job_id AND template_version_id = NEW.template_version_id
          AND jurisdiction_id = NEW.jurisdiction_id
    ) THEN
        RAISE EXCEPTION 'an inspection must use its job''s checklist version and jurisdiction'
            USING ERRCODE = 'integrity_constraint_violation', CONSTRAINT = 'insp_inspection_matches_job';
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER insp_inspection_matches_job
    BEFORE INSERT OR UPDATE OF job_id, template_version_id, jurisdiction_id ON inspections_inspection
    FOR EACH ROW EXECUTE FUNCTION inspections_inspection_matches_job();

CREATE FUNCTION inspections_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit events are never changed or deleted'
        USING ERRCODE = 'integrity_constraint_violation', CONSTRAINT = 'insp_audit_append_only';
END $$;

CREATE TRIGGER insp_audit_append_only
    BEFORE UPDATE OR DELETE ON inspections_auditevent
    FOR EACH ROW EXECUTE FUNCTION inspections_audit_append_only();

CREATE FUNCTION inspections_local_iso(ts timestamptz, zone text) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN ts IS NULL THEN NULL ELSE
        to_char(ts AT TIME ZONE zone, 'YYYY-MM-DD"T"HH24:MI:SS')
        || CASE WHEN offset_minutes < 0 THEN '-' ELSE '+' END
        || lpad((abs(offset_minutes) / 60)::text, 2, '0') || ':' || lpad((abs(offset_minutes) % 60)::text, 2, '0')
    END
    FROM (SELECT (extract(epoch FROM (ts AT TIME ZONE zone) - (ts AT TIME ZONE 'UTC')) / 60)::int AS offset_minutes) o
$$;
"""

BACKWARD = """
DROP FUNCTION IF EXISTS inspections_local_iso(timestamptz, text);
DROP TRIGGER IF EXISTS insp_audit_append_only ON inspections_auditevent;
DROP FUNCTION IF EXISTS inspections_audit_append_only();
DROP TRIGGER IF EXISTS insp_inspection_matches_job ON inspections_inspection;
DROP FUNCTION IF EXISTS inspections_inspection_matches_job();
DROP TRIGGER IF EXISTS insp_item_immutable ON inspections_checklistitem;
DROP FUNCTION IF EXISTS inspections_item_of_draft_only();
DROP TRIGGER IF EXISTS insp_version_published ON inspections_templateversion;
DROP FUNCTION IF EXISTS inspections_version_published_at_commit();
DROP TRIGGER IF EXISTS insp_version_immutable ON inspections_templateversion;
DROP FUNCTION IF EXISTS inspections_version_immutable();
"""


class Migration(migrations.Migration):
    dependencies = [("inspections", "0001_initial")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]

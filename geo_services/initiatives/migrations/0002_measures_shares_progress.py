"""What the database keeps for initiatives, whatever writes the rows (API, admin, import or raw SQL).

- initiatives_district_shares(jurisdiction, shape): the share of a shape in each district, by length
  (lines), area (polygons) or count of points, on the WGS84 ellipsoid. Candidates come from the
  subdivided district parts (core_districtpart, small pieces behind a GiST index), and the parts of
  one district are summed. A line lying on a border is inside both districts, so the shares are
  divided by the larger of the shape's measure and their sum: they never add up to more than 1.
- Before a write: the shape's SRID, emptiness, zero length and validity are checked first (so a bad
  shape is refused by its own rule, not by an error of a later geometry operation); length_m,
  area_m2 and the district of the largest share are computed; a shape not within the districts of
  its jurisdiction (to 0.1 %) is refused. Hand-written values of these columns are replaced.
- After a write that changed the shape: the district share rows are rewritten.
- With the transaction setting initiatives.remeasure = 'on', an update recomputes all of this even
  though the shape is unchanged: for when the districts themselves have changed (a new boundary
  import); see services.remeasure_initiatives.
- Deleting an initiative deletes its shares, progress updates and partner links (raw SQL too).
- A progress update below the initiative's progress is refused (under a row lock on the initiative,
  so two simultaneous updates take turns); an accepted one moves the initiative's progress, status
  and actual dates (the jurisdiction's calendar day of the update).
- initiatives_layer: the published columns with the district and jurisdiction codes, for the
  layer engine. A later migration that alters a column used here must drop and recreate the view.
"""

from django.db import migrations

FORWARD = """
CREATE FUNCTION initiatives_district_shares(p_jurisdiction bigint, p_geom geometry)
RETURNS TABLE (district_id bigint, share double precision) LANGUAGE plpgsql STABLE AS $$
DECLARE
    total double precision;
BEGIN
    IF ST_Dimension(p_geom) = 0 THEN
        -- Each point belongs to one district: of those covering it (a border point is covered by
        -- both sides), the one with the lower id.
        RETURN QUERY
        WITH points AS (SELECT (ST_Dump(p_geom)).geom AS g),
        owners AS (
            SELECT (SELECT part.district_id FROM core_districtpart part
                    WHERE part.jurisdiction_id = p_jurisdiction AND ST_Covers(part.geom, points.g)
                    ORDER BY part.district_id LIMIT 1) AS owner
            FROM points
        )
        SELECT owners.owner, count(*)::double precision / ST_NumGeometries(p_geom)
        FROM owners WHERE owners.owner IS NOT NULL GROUP BY owners.owner;
        RETURN;
    END IF;
    total := CASE ST_Dimension(p_geom)
        WHEN 1 THEN ST_Length(p_geom::geography) ELSE ST_Area(p_geom::geography) END;
    IF total IS NULL OR total <= 0 THEN
        RETURN;
    END IF;
    RETURN QUERY
    WITH measured AS (
        SELECT part.district_id AS district,
               sum(CASE ST_Dimension(p_geom)
                   WHEN 1 THEN ST_Length(ST_Intersection(part.geom, p_geom)::geography)
                   ELSE ST_Area(ST_Intersection(part.geom, p_geom)::geography) END) AS measure
        FROM core_districtpart part
        WHERE part.jurisdiction_id = p_jurisdiction AND ST_Intersects(part.geom, p_geom)
        GROUP BY part.district_id
    ), positive AS (
        SELECT measured.district, measured.measure FROM measured WHERE measured.measure > 0
    )
    SELECT positive.district,
           positive.measure / GREATEST(total, (SELECT sum(p.measure) FROM positive p))
    FROM positive;
END $$;

CREATE FUNCTION initiatives_initiative_measure() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    covered double precision;
    largest bigint;
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.geom IS NOT DISTINCT FROM OLD.geom
            AND NEW.jurisdiction_id = OLD.jurisdiction_id
            AND current_setting('initiatives.remeasure', true) IS DISTINCT FROM 'on' THEN
        NEW.length_m := OLD.length_m;
        NEW.area_m2 := OLD.area_m2;
        NEW.district_id := OLD.district_id;
        RETURN NEW;
    END IF;
    IF ST_SRID(NEW.geom) <> 4326 THEN
        RAISE EXCEPTION 'the shape must be in SRID 4326, not %', ST_SRID(NEW.geom)
            USING ERRCODE = 'check_violation', CONSTRAINT = 'initiatives_initiative_geom_srid_4326';
    END IF;
    IF ST_IsEmpty(NEW.geom) THEN
        RAISE EXCEPTION 'the shape is empty'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'initiatives_initiative_geom_not_empty';
    END IF;
    IF GeometryType(NEW.geom) = 'LINESTRING' AND ST_Length(NEW.geom) = 0 THEN
        RAISE EXCEPTION 'a line must have a length above zero'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'initiatives_line_has_length';
    END IF;
    IF NOT ST_IsValid(NEW.geom) THEN
        RAISE EXCEPTION 'the shape is not a valid geometry: %', ST_IsValidReason(NEW.geom)
            USING ERRCODE = 'check_violation', CONSTRAINT = 'initiatives_initiative_geom_valid';
    END IF;
    NEW.length_m := CASE WHEN ST_Dimension(NEW.geom) = 1 THEN ST_Length(NEW.geom::geography) END;
    NEW.area_m2 := CASE WHEN ST_Dimension(NEW.geom) = 2 THEN ST_Area(NEW.geom::geography) END;
    SELECT sum(s.share), (array_agg(s.district_id ORDER BY s.share DESC, s.district_id))[1]
        INTO covered, largest
        FROM initiatives_district_shares(NEW.jurisdiction_id, NEW.geom) s;
    IF covered IS NULL OR covered < 0.999 THEN
        RAISE EXCEPTION 'the shape of initiative % lies % %% outside the districts of its jurisdiction',
                NEW.code, round((100 * (1 - COALESCE(covered, 0)))::numeric, 1)
            USING ERRCODE = 'check_violation', CONSTRAINT = 'initiatives_initiative_geom_in_districts';
    END IF;
    NEW.district_id := largest;
    RETURN NEW;
END $$;

CREATE TRIGGER initiatives_initiative_measure
BEFORE INSERT OR UPDATE ON initiatives_initiative
FOR EACH ROW EXECUTE FUNCTION initiatives_initiative_measure();

CREATE FUNCTION initiatives_initiative_shares() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM initiatives_initiativedistrictshare WHERE initiative_id = NEW.id;
    INSERT INTO initiatives_initiativedistrictshare
        (initiative_id, district_id, jurisdiction_id, share, length_m, area_m2)
    SELECT NEW.id, s.district_id, NEW.jurisdiction_id, s.share, s.share * NEW.length_m, s.share * NEW.area_m2
    FROM initiatives_district_shares(NEW.jurisdiction_id, NEW.geom) s;
    RETURN NULL;
END $$;

CREATE TRIGGER initiatives_initiative_shares_insert
AFTER INSERT ON initiatives_initiative
FOR EACH ROW EXECUTE FUNCTION initiatives_initiative_shares();

-- An ORM save writes every column: recompute only when the shape or jurisdiction really changed.
-- The shapes are compared as EWKB (bytea): a geometry comparison here would not survive pg_restore,
-- which recreates triggers with an empty search_path where the geometry operator is ambiguous.
CREATE TRIGGER initiatives_initiative_shares_update
AFTER UPDATE ON initiatives_initiative
FOR EACH ROW
WHEN (ST_AsEWKB(OLD.geom) IS DISTINCT FROM ST_AsEWKB(NEW.geom) OR OLD.jurisdiction_id IS DISTINCT FROM NEW.jurisdiction_id
      OR current_setting('initiatives.remeasure', true) = 'on')
EXECUTE FUNCTION initiatives_initiative_shares();

-- Deleting an initiative removes its shares, progress and partner links in the database too, so a
-- raw DELETE (a benchmark reset, a clean-up script) is not blocked by the foreign keys.
CREATE FUNCTION initiatives_initiative_drop_dependents() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM initiatives_initiativedistrictshare WHERE initiative_id = OLD.id;
    DELETE FROM initiatives_progressupdate WHERE initiative_id = OLD.id;
    DELETE FROM initiatives_initiative_partners WHERE initiative_id = OLD.id;
    RETURN OLD;
END $$;

CREATE TRIGGER initiatives_initiative_drop_dependents
BEFORE DELETE ON initiatives_initiative
FOR EACH ROW EXECUTE FUNCTION initiatives_initiative_drop_dependents();

CREATE FUNCTION initiatives_progress_forward() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    current_percent integer;
BEGIN
    SELECT progress_percent INTO current_percent
    FROM initiatives_initiative WHERE id = NEW.initiative_id FOR UPDATE;
    IF NEW.percent < current_percent THEN
        RAISE EXCEPTION 'progress of % %% is below the initiative''s progress of % %%', NEW.percent, current_percent
            USING ERRCODE = 'check_violation', CONSTRAINT = 'initiatives_progress_not_backwards';
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER initiatives_progress_forward
BEFORE INSERT ON initiatives_progressupdate
FOR EACH ROW EXECUTE FUNCTION initiatives_progress_forward();

CREATE FUNCTION initiatives_progress_moves_initiative() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    local_day date;
BEGIN
    SELECT (NEW.created_at AT TIME ZONE j.time_zone)::date INTO local_day
    FROM initiatives_initiative i JOIN core_jurisdiction j ON j.id = i.jurisdiction_id
    WHERE i.id = NEW.initiative_id;
    UPDATE initiatives_initiative SET
        progress_percent = NEW.percent,
        status = CASE WHEN NEW.percent = 100 THEN 'done'
                      WHEN NEW.percent > 0 THEN 'in_progress'
                      ELSE status END,
        actual_start = CASE WHEN NEW.percent > 0 THEN COALESCE(actual_start, local_day) ELSE actual_start END,
        actual_end = CASE WHEN NEW.percent = 100 THEN COALESCE(actual_end, GREATEST(local_day, actual_start))
                          ELSE actual_end END,
        updated_at = GREATEST(updated_at, NEW.created_at)
    WHERE id = NEW.initiative_id;
    RETURN NULL;
END $$;

CREATE TRIGGER initiatives_progress_moves_initiative
AFTER INSERT ON initiatives_progressupdate
FOR EACH ROW EXECUTE FUNCTION initiatives_progress_moves_initiative();

-- LEFT JOINs on primary keys over NOT NULL foreign keys: the same rows as inner joins, and
-- PostgreSQL drops a join whose columns a query does not read (counts, clustered tiles).
CREATE VIEW initiatives_layer AS
SELECT i.id,
       i.geom,
       i.code,
       i.kind,
       i.feature_type,
       i.name_ar,
       i.name_en,
       i.status,
       i.progress_percent,
       i.planned_start,
       i.planned_end,
       i.actual_start,
       i.actual_end,
       i.length_m,
       i.area_m2,
       i.width_m,
       i.surface,
       i.ramps_count,
       i.volunteers_count,
       i.updated_at,
       d.code AS district_code,
       j.code AS jurisdiction_code
FROM initiatives_initiative i
LEFT JOIN core_district d ON d.id = i.district_id
LEFT JOIN core_jurisdiction j ON j.id = i.jurisdiction_id;
"""

BACKWARD = """
DROP VIEW IF EXISTS initiatives_layer;
DROP TRIGGER IF EXISTS initiatives_progress_moves_initiative ON initiatives_progressupdate;
DROP FUNCTION IF EXISTS initiatives_progress_moves_initiative();
DROP TRIGGER IF EXISTS initiatives_progress_forward ON initiatives_progressupdate;
DROP FUNCTION IF EXISTS initiatives_progress_forward();
DROP TRIGGER IF EXISTS initiatives_initiative_drop_dependents ON initiatives_initiative;
DROP FUNCTION IF EXISTS initiatives_initiative_drop_dependents();
DROP TRIGGER IF EXISTS initiatives_initiative_shares_update ON initiatives_initiative;
DROP TRIGGER IF EXISTS initiatives_initiative_shares_insert ON initiatives_initiative;
DROP FUNCTION IF EXISTS initiatives_initiative_shares();
DROP TRIGGER IF EXISTS initiatives_initiative_measure ON initiatives_initiative;
DROP FUNCTION IF EXISTS initiatives_initiative_measure();
DROP FUNCTION IF EXISTS initiatives_district_shares(bigint, geometry);
"""


class Migration(migrations.Migration):
    dependencies = [("initiatives", "0001_initial"), ("core", "0005_jurisdiction_currency")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]

"""Keep core_districtpart in step with core_district inside the database.

A trigger, not Python code, so every write path (ORM, admin, importer, raw SQL) keeps the
subdivided copy current. ST_Subdivide cuts each district into pieces of at most 256 vertices:
point-in-polygon tests on small pieces are far cheaper than on a 10,000-vertex boundary.
"""

from django.db import migrations

FORWARD = """
CREATE FUNCTION core_district_subdivide() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM core_districtpart WHERE district_id = NEW.id;
    INSERT INTO core_districtpart (district_id, jurisdiction_id, geom)
    SELECT NEW.id, NEW.jurisdiction_id, ST_Subdivide(NEW.geom, 256);
    RETURN NULL;
END
$$;

CREATE TRIGGER core_district_subdivide
AFTER INSERT OR UPDATE OF geom, jurisdiction_id ON core_district
FOR EACH ROW EXECUTE FUNCTION core_district_subdivide();

-- Deleting a district removes its parts in the database too, so a raw DELETE is not blocked
-- by the foreign key.
CREATE FUNCTION core_district_drop_parts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM core_districtpart WHERE district_id = OLD.id;
    RETURN OLD;
END
$$;

CREATE TRIGGER core_district_drop_parts
BEFORE DELETE ON core_district
FOR EACH ROW EXECUTE FUNCTION core_district_drop_parts();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS core_district_subdivide ON core_district;
DROP FUNCTION IF EXISTS core_district_subdivide();
DROP TRIGGER IF EXISTS core_district_drop_parts ON core_district;
DROP FUNCTION IF EXISTS core_district_drop_parts();
"""


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]

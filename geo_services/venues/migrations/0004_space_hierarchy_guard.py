"""A space's parent belongs to the same venue and is never the space itself or one of its descendants.

Enforced by PostgreSQL (a BEFORE trigger), so no write path can make a cycle — which would also send
`venues_space_leaves` round the loop — or hang one venue's space under another's. The venue row is
locked first, so two concurrent moves (A under B, B under A) cannot each pass on the other's old tree.
"""

from django.db import migrations

FORWARD = """
CREATE FUNCTION venues_space_check_parent() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM venues_venue WHERE id = NEW.venue_id FOR UPDATE;
    IF NEW.parent_id IS NOT NULL THEN
        IF (SELECT venue_id FROM venues_space WHERE id = NEW.parent_id) IS DISTINCT FROM NEW.venue_id THEN
            RAISE EXCEPTION 'venues_space_parent_same_venue: space % and its parent % belong to different venues', NEW.id, NEW.parent_id
                USING ERRCODE = 'check_violation', CONSTRAINT = 'venues_space_parent_same_venue';
        END IF;
        -- UNION, not UNION ALL: the walk ends even on a tree that is already wrong.
        IF EXISTS (
            WITH RECURSIVE above(id, parent_id) AS (
                SELECT id, parent_id FROM venues_space WHERE id = NEW.parent_id
                UNION
                SELECT s.id, s.parent_id FROM venues_space s JOIN above a ON s.id = a.parent_id
            )
            SELECT 1 FROM above WHERE id = NEW.id
        ) THEN
            RAISE EXCEPTION 'venues_space_no_cycle: space % cannot be placed under its own descendant %', NEW.id, NEW.parent_id
                USING ERRCODE = 'check_violation', CONSTRAINT = 'venues_space_no_cycle';
        END IF;
    END IF;
    IF TG_OP = 'UPDATE' AND NEW.venue_id IS DISTINCT FROM OLD.venue_id
       AND EXISTS (SELECT 1 FROM venues_space c WHERE c.parent_id = NEW.id) THEN
        RAISE EXCEPTION 'venues_space_parent_same_venue: space % has sub-spaces and cannot move to another venue', NEW.id
            USING ERRCODE = 'check_violation', CONSTRAINT = 'venues_space_parent_same_venue';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER venues_space_check_parent
BEFORE INSERT OR UPDATE OF parent_id, venue_id ON venues_space
FOR EACH ROW EXECUTE FUNCTION venues_space_check_parent();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS venues_space_check_parent ON venues_space;
DROP FUNCTION IF EXISTS venues_space_check_parent();
"""


class Migration(migrations.Migration):
    dependencies = [("venues", "0003_venue_location_geography_index")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]

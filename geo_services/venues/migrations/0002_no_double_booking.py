"""No double booking, enforced by PostgreSQL.

1. `venues_space_leaves(space)` — the leaf spaces under a space (itself when it has no children).
2. A BEFORE INSERT OR UPDATE trigger writes those leaves onto every booking, so no caller can forget
   or forge them; a change of the hierarchy recomputes them for the venue's live bookings.
3. An exclusion constraint refuses two live (requested or confirmed) bookings whose leaf sets share a
   space and whose held times (the booking plus the space's gap after it) overlap — including a hall
   against one of its halves.
"""

from django.contrib.postgres.operations import CreateExtension
from django.db import migrations

FORWARD = """
CREATE FUNCTION venues_space_leaves(root bigint) RETURNS integer[] LANGUAGE sql STABLE AS $$
    WITH RECURSIVE below(id) AS (
        SELECT root
        UNION ALL
        SELECT s.id FROM venues_space s JOIN below b ON s.parent_id = b.id
    )
    SELECT COALESCE(array_agg(b.id::integer ORDER BY b.id), ARRAY[root::integer])
    FROM below b
    WHERE NOT EXISTS (SELECT 1 FROM venues_space c WHERE c.parent_id = b.id)
$$;

CREATE FUNCTION venues_booking_set_leaves() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.leaves := venues_space_leaves(NEW.space_id);
    -- A booking holds its space for its own time plus the space's gap after it, so the next
    -- booking can start no earlier than the gap allows.
    NEW.held := tstzrange(
        lower(NEW.during),
        upper(NEW.during) + make_interval(mins => (SELECT buffer_minutes FROM venues_space WHERE id = NEW.space_id)),
        '[)'
    );
    RETURN NEW;
END
$$;

CREATE TRIGGER venues_booking_set_leaves
BEFORE INSERT OR UPDATE OF space_id, leaves, during, held ON venues_booking
FOR EACH ROW EXECUTE FUNCTION venues_booking_set_leaves();

-- When the hierarchy changes (a hall is split into halves), live bookings of that venue get their
-- leaves again; a change that would make two of them overlap is refused by the constraint below.
CREATE FUNCTION venues_space_hierarchy_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE venues_booking b SET leaves = venues_space_leaves(b.space_id)
    FROM venues_space s
    WHERE s.id = b.space_id AND s.venue_id = COALESCE(NEW.venue_id, OLD.venue_id)
      AND b.status IN ('requested', 'confirmed');
    RETURN NULL;
END
$$;

CREATE TRIGGER venues_space_hierarchy_changed
AFTER INSERT OR DELETE OR UPDATE OF parent_id ON venues_space
FOR EACH ROW EXECUTE FUNCTION venues_space_hierarchy_changed();

ALTER TABLE venues_booking ADD CONSTRAINT venues_booking_no_overlap
    EXCLUDE USING gist (leaves gist__int_ops WITH &&, held WITH &&)
    WHERE (status IN ('requested', 'confirmed'));
"""

BACKWARD = """
ALTER TABLE venues_booking DROP CONSTRAINT IF EXISTS venues_booking_no_overlap;
DROP TRIGGER IF EXISTS venues_space_hierarchy_changed ON venues_space;
DROP FUNCTION IF EXISTS venues_space_hierarchy_changed();
DROP TRIGGER IF EXISTS venues_booking_set_leaves ON venues_booking;
DROP FUNCTION IF EXISTS venues_booking_set_leaves();
DROP FUNCTION IF EXISTS venues_space_leaves(bigint);
"""


class Migration(migrations.Migration):
    dependencies = [("venues", "0001_initial")]

    operations = [
        # intarray provides gist__int_ops, the GiST operator class for "do two integer sets overlap".
        CreateExtension("intarray"),
        migrations.RunSQL(FORWARD, BACKWARD),
    ]

"""No double booking at millions of bookings: the exclusion constraint moves to one row per leaf.

Migration 0002 compared whole leaf sets (`leaves && leaves`) with intarray's GiST operator class, which
keeps ranges of space ids in its pages and expands them on every comparison: each insert and probe got
slower as bookings grew (10,000 bookings took 5 s to insert, the tenth 10,000 took 53 s). Here every
live booking has one row per leaf space it holds, and the constraint compares a plain integer for
equality and the held time for overlap (btree_gist), which stays cheap whatever the number of rows.

The rows are written only by triggers on bookings — on insert, on any update (status, time, space,
and the leaves the hierarchy trigger of 0002 rewrites) and before delete — and a guard refuses any
other write, so a raw SQL statement can neither forge them nor remove them to slip an overlap in.
The constraint keeps its name, `venues_booking_no_overlap`.
"""

import django.contrib.postgres.fields.ranges
import django.db.models.deletion
from django.contrib.postgres.operations import CreateExtension
from django.db import migrations, models

FORWARD = """
ALTER TABLE venues_booking DROP CONSTRAINT venues_booking_no_overlap;

INSERT INTO venues_bookingleaf (booking_id, leaf_id, held)
SELECT b.id, leaf, b.held FROM venues_booking b CROSS JOIN LATERAL unnest(b.leaves) AS leaf
WHERE b.status IN ('requested', 'confirmed');

ALTER TABLE venues_bookingleaf ADD CONSTRAINT venues_booking_no_overlap
    EXCLUDE USING gist (leaf_id WITH =, held WITH &&);

CREATE FUNCTION venues_booking_sync_leaves() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        DELETE FROM venues_bookingleaf WHERE booking_id = OLD.id;
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    IF NEW.status IN ('requested', 'confirmed') THEN
        INSERT INTO venues_bookingleaf (booking_id, leaf_id, held)
        SELECT NEW.id, leaf, NEW.held FROM unnest(NEW.leaves) AS leaf;
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER venues_booking_sync_leaves
AFTER INSERT OR UPDATE ON venues_booking
FOR EACH ROW EXECUTE FUNCTION venues_booking_sync_leaves();

CREATE TRIGGER venues_booking_drop_leaves
BEFORE DELETE ON venues_booking
FOR EACH ROW EXECUTE FUNCTION venues_booking_sync_leaves();

-- A statement of its own runs at trigger depth 1 here; the booking triggers' writes run deeper.
CREATE FUNCTION venues_bookingleaf_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF pg_trigger_depth() < 2 THEN
        RAISE EXCEPTION 'venues_bookingleaf_written_by_bookings: held leaf spaces follow their bookings and cannot be written directly'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN COALESCE(NEW, OLD);
END
$$;

CREATE TRIGGER venues_bookingleaf_guard
BEFORE INSERT OR UPDATE OR DELETE ON venues_bookingleaf
FOR EACH ROW EXECUTE FUNCTION venues_bookingleaf_guard();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS venues_bookingleaf_guard ON venues_bookingleaf;
DROP FUNCTION IF EXISTS venues_bookingleaf_guard();
DROP TRIGGER IF EXISTS venues_booking_drop_leaves ON venues_booking;
DROP TRIGGER IF EXISTS venues_booking_sync_leaves ON venues_booking;
DROP FUNCTION IF EXISTS venues_booking_sync_leaves();
ALTER TABLE venues_bookingleaf DROP CONSTRAINT IF EXISTS venues_booking_no_overlap;
ALTER TABLE venues_booking ADD CONSTRAINT venues_booking_no_overlap
    EXCLUDE USING gist (leaves gist__int_ops WITH &&, held WITH &&)
    WHERE (status IN ('requested', 'confirmed'));
"""


class Migration(migrations.Migration):
    dependencies = [("venues", "0004_space_hierarchy_guard")]

    operations = [
        # btree_gist: equality on a plain integer inside a GiST exclusion constraint.
        CreateExtension("btree_gist"),
        migrations.CreateModel(
            name="BookingLeaf",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("leaf_id", models.IntegerField()),
                ("held", django.contrib.postgres.fields.ranges.DateTimeRangeField()),
                (
                    "booking",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.DO_NOTHING, related_name="+", to="venues.booking"
                    ),
                ),
            ],
            options={"verbose_name": "held leaf space", "verbose_name_plural": "held leaf spaces"},
        ),
        migrations.RunSQL(FORWARD, BACKWARD),
    ]

"""What the database keeps for partners, residents' proposals and volunteers, whatever writes the rows.

- Service kinds: the first list (social care, disability services, training and jobs, greening,
  clean-ups, waste-sorting awareness), in Arabic and English.
- Partners: a drawn served area is valid and within the districts of the partner's jurisdiction (to
  0.1 %, as for initiatives); a whole district served belongs to the partner's jurisdiction.
  initiatives_partner_served_districts(jurisdiction) derives the districts each partner serves: the
  whole districts named, and every district its drawn area has a share of (the share rule of
  initiatives_district_shares: an area only touching a border serves nothing across it).
- Proposals: the district is the largest share of the shape, which must lie within the districts;
  an accepted proposal's initiative is of the same jurisdiction; a decision is final (a status moves
  only from open); the supporters' count is written by the support triggers only, under the
  proposal's row lock, and only an open proposal takes support; every status, the first one too,
  is written to initiatives_proposalstatuschange.
- Work days: jurisdiction and local calendar day come from the initiative and its time zone; the
  sign-ups' count is written by the sign-up triggers only, under the work day's row lock, and the
  CHECK initiatives_workday_within_capacity refuses the sign-up that would pass the capacity — so
  concurrent sign-ups take turns and exactly `capacity` of them succeed.
- Initiatives: volunteers_count is the number of people signed up for any of its work days, each
  once (it replaces the hand-entered number: anything else written to it is ignored). Sign-ups and
  cancellations lock the initiative first, then the work day, so they never deadlock.
- Deleting an initiative (raw SQL too) deletes its work days and their sign-ups.

A direct UPDATE of a derived count (top-level statement, trigger depth 1) keeps the old value; the
triggers' own updates (depth 2) write it.
"""

from django.db import migrations

SERVICE_KINDS = [
    ("social-care", "رعاية اجتماعية", "Social care"),
    ("disability-services", "خدمات الأشخاص ذوي الإعاقة", "Disability services"),
    ("training-jobs", "تدريب وتشغيل", "Training and jobs"),
    ("greening", "تشجير وتخضير", "Greening"),
    ("clean-ups", "حملات نظافة", "Clean-ups"),
    ("waste-sorting-awareness", "توعية بفرز النفايات", "Waste-sorting awareness"),
]

FORWARD = """
-- Hand-entered numbers of volunteers give way to the sign-ups (none exist yet).
UPDATE initiatives_initiative SET volunteers_count = 0 WHERE volunteers_count <> 0;

CREATE FUNCTION initiatives_check_shape(p_geom geometry, p_constraint text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    -- Checked before any geometry operation, so a bad shape is refused by its own rule.
    IF ST_SRID(p_geom) <> 4326 THEN
        RAISE EXCEPTION 'the shape must be in SRID 4326, not %', ST_SRID(p_geom)
            USING ERRCODE = 'check_violation', CONSTRAINT = p_constraint || '_srid_4326';
    END IF;
    IF ST_IsEmpty(p_geom) THEN
        RAISE EXCEPTION 'the shape is empty'
            USING ERRCODE = 'check_violation', CONSTRAINT = p_constraint || '_not_empty';
    END IF;
    IF NOT ST_IsValid(p_geom) THEN
        RAISE EXCEPTION 'the shape is not a valid geometry: %', ST_IsValidReason(p_geom)
            USING ERRCODE = 'check_violation', CONSTRAINT = p_constraint || '_valid';
    END IF;
END $$;

-- Partners -------------------------------------------------------------------------------------------

CREATE FUNCTION initiatives_partner_area() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    covered double precision;
BEGIN
    IF NEW.served_area IS NULL THEN
        RETURN NEW;
    END IF;
    IF TG_OP = 'UPDATE' AND NEW.served_area IS NOT DISTINCT FROM OLD.served_area
            AND NEW.jurisdiction_id = OLD.jurisdiction_id THEN
        RETURN NEW;
    END IF;
    PERFORM initiatives_check_shape(NEW.served_area, 'initiatives_partner_served_area');
    SELECT sum(s.share) INTO covered FROM initiatives_district_shares(NEW.jurisdiction_id, NEW.served_area) s;
    IF covered IS NULL OR covered < 0.999 THEN
        RAISE EXCEPTION 'the area served by partner % lies % %% outside the districts of its jurisdiction',
                NEW.name_en, round((100 * (1 - COALESCE(covered, 0)))::numeric, 1)
            USING ERRCODE = 'check_violation', CONSTRAINT = 'initiatives_partner_area_in_districts';
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER initiatives_partner_area
BEFORE INSERT OR UPDATE ON initiatives_partner
FOR EACH ROW EXECUTE FUNCTION initiatives_partner_area();

CREATE FUNCTION initiatives_partner_district_of_jurisdiction() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (SELECT jurisdiction_id FROM core_district WHERE id = NEW.district_id)
            IS DISTINCT FROM (SELECT jurisdiction_id FROM initiatives_partner WHERE id = NEW.partner_id) THEN
        RAISE EXCEPTION 'district % is not of the jurisdiction of partner %', NEW.district_id, NEW.partner_id
            USING ERRCODE = 'check_violation', CONSTRAINT = 'initiatives_partner_district_of_jurisdiction';
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER initiatives_partner_district_of_jurisdiction
BEFORE INSERT OR UPDATE ON initiatives_partner_districts
FOR EACH ROW EXECUTE FUNCTION initiatives_partner_district_of_jurisdiction();

CREATE FUNCTION initiatives_partner_served_districts(p_jurisdiction bigint)
RETURNS TABLE (partner_id bigint, district_id bigint, whole_district boolean, by_area boolean)
LANGUAGE sql STABLE AS $$
    SELECT served.partner, served.district, bool_or(served.whole), bool_or(NOT served.whole)
    FROM (
        SELECT named.partner_id AS partner, named.district_id AS district, true AS whole
        FROM initiatives_partner_districts named
        JOIN initiatives_partner owner ON owner.id = named.partner_id
        WHERE owner.jurisdiction_id = p_jurisdiction
        UNION ALL
        SELECT drawn.id, shares.district_id, false
        FROM initiatives_partner drawn
        CROSS JOIN LATERAL initiatives_district_shares(drawn.jurisdiction_id, drawn.served_area) shares
        WHERE drawn.jurisdiction_id = p_jurisdiction AND drawn.served_area IS NOT NULL
    ) served
    GROUP BY served.partner, served.district
$$;

-- Proposals ------------------------------------------------------------------------------------------

CREATE FUNCTION initiatives_proposal_rules() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    covered double precision;
    largest bigint;
BEGIN
    IF TG_OP = 'INSERT' THEN
        NEW.supporters_count := 0;
    ELSE
        IF pg_trigger_depth() = 1 THEN
            NEW.supporters_count := OLD.supporters_count;
        END IF;
        IF OLD.status <> 'open' AND NEW.status IS DISTINCT FROM OLD.status THEN
            RAISE EXCEPTION 'proposal % was already %: a decision is final', OLD.id, OLD.status
                USING ERRCODE = 'check_violation', CONSTRAINT = 'initiatives_proposal_decision_final';
        END IF;
    END IF;
    IF NEW.initiative_id IS NOT NULL
            AND (SELECT jurisdiction_id FROM initiatives_initiative WHERE id = NEW.initiative_id)
                IS DISTINCT FROM NEW.jurisdiction_id THEN
        RAISE EXCEPTION 'initiative % is not of the proposal''s jurisdiction', NEW.initiative_id
            USING ERRCODE = 'check_violation', CONSTRAINT = 'initiatives_proposal_initiative_of_jurisdiction';
    END IF;
    IF TG_OP = 'UPDATE' AND NEW.geom IS NOT DISTINCT FROM OLD.geom
            AND NEW.jurisdiction_id = OLD.jurisdiction_id THEN
        NEW.district_id := OLD.district_id;
        RETURN NEW;
    END IF;
    PERFORM initiatives_check_shape(NEW.geom, 'initiatives_proposal_geom');
    SELECT sum(s.share), (array_agg(s.district_id ORDER BY s.share DESC, s.district_id))[1]
        INTO covered, largest
        FROM initiatives_district_shares(NEW.jurisdiction_id, NEW.geom) s;
    IF covered IS NULL OR covered < 0.999 THEN
        RAISE EXCEPTION 'the proposal lies % %% outside the districts of its jurisdiction',
                round((100 * (1 - COALESCE(covered, 0)))::numeric, 1)
            USING ERRCODE = 'check_violation', CONSTRAINT = 'initiatives_proposal_in_districts';
    END IF;
    NEW.district_id := largest;
    RETURN NEW;
END $$;

CREATE TRIGGER initiatives_proposal_rules
BEFORE INSERT OR UPDATE ON initiatives_proposal
FOR EACH ROW EXECUTE FUNCTION initiatives_proposal_rules();

CREATE FUNCTION initiatives_proposal_log_status() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO initiatives_proposalstatuschange
        (proposal_id, previous_status, status, changed_by_id, reason, created_at)
    VALUES (
        NEW.id,
        CASE WHEN TG_OP = 'INSERT' THEN '' ELSE OLD.status END,
        NEW.status,
        CASE WHEN TG_OP = 'INSERT' THEN NEW.proposer_id ELSE NEW.decided_by_id END,
        CASE WHEN TG_OP = 'INSERT' THEN '' ELSE NEW.decision_reason END,
        COALESCE(CASE WHEN TG_OP = 'INSERT' THEN NEW.created_at ELSE NEW.decided_at END, now())
    );
    RETURN NULL;
END $$;

CREATE TRIGGER initiatives_proposal_log_insert
AFTER INSERT ON initiatives_proposal
FOR EACH ROW EXECUTE FUNCTION initiatives_proposal_log_status();

-- An ORM save writes every column: log only a real change of status.
CREATE TRIGGER initiatives_proposal_log_update
AFTER UPDATE ON initiatives_proposal
FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status)
EXECUTE FUNCTION initiatives_proposal_log_status();

CREATE FUNCTION initiatives_support_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        -- The proposal's row lock makes concurrent supports take turns; a second support by the
        -- same resident then fails on initiatives_support_once and this increment rolls back with it.
        UPDATE initiatives_proposal SET supporters_count = supporters_count + 1
        WHERE id = NEW.proposal_id AND status = 'open';
        IF NOT FOUND THEN
            RAISE EXCEPTION 'proposal % is not open for support', NEW.proposal_id
                USING ERRCODE = 'check_violation', CONSTRAINT = 'initiatives_support_open_proposal';
        END IF;
        RETURN NEW;
    END IF;
    UPDATE initiatives_proposal SET supporters_count = supporters_count - 1 WHERE id = OLD.proposal_id;
    RETURN OLD;
END $$;

CREATE TRIGGER initiatives_support_count
BEFORE INSERT OR DELETE ON initiatives_proposalsupport
FOR EACH ROW EXECUTE FUNCTION initiatives_support_count();

-- Volunteers -----------------------------------------------------------------------------------------

CREATE FUNCTION initiatives_initiative_volunteers_derived() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        NEW.volunteers_count := 0;
    ELSIF pg_trigger_depth() = 1 THEN
        NEW.volunteers_count := OLD.volunteers_count;
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER initiatives_initiative_volunteers_derived
BEFORE INSERT OR UPDATE ON initiatives_initiative
FOR EACH ROW EXECUTE FUNCTION initiatives_initiative_volunteers_derived();

CREATE FUNCTION initiatives_workday_place() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    zone text;
BEGIN
    SELECT i.jurisdiction_id, j.time_zone INTO NEW.jurisdiction_id, zone
    FROM initiatives_initiative i JOIN core_jurisdiction j ON j.id = i.jurisdiction_id
    WHERE i.id = NEW.initiative_id;
    NEW.day := (NEW.starts_at AT TIME ZONE zone)::date;
    IF TG_OP = 'INSERT' THEN
        NEW.signups_count := 0;
    ELSIF pg_trigger_depth() = 1 THEN
        NEW.signups_count := OLD.signups_count;
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER initiatives_workday_place
BEFORE INSERT OR UPDATE ON initiatives_workday
FOR EACH ROW EXECUTE FUNCTION initiatives_workday_place();

CREATE FUNCTION initiatives_signup_count() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    day_id bigint := CASE WHEN TG_OP = 'INSERT' THEN NEW.work_day_id ELSE OLD.work_day_id END;
    initiative bigint;
BEGIN
    SELECT initiative_id INTO initiative FROM initiatives_workday WHERE id = day_id;
    IF current_setting('initiatives.dropping', true) = initiative::text THEN
        RETURN CASE WHEN TG_OP = 'INSERT' THEN NEW ELSE OLD END;  -- the initiative is being deleted
    END IF;
    -- Lock order: the initiative, then the work day (both ways), so sign-ups never deadlock.
    PERFORM 1 FROM initiatives_initiative WHERE id = initiative FOR UPDATE;
    IF TG_OP = 'INSERT' THEN
        -- Waits for the work day's row lock; the CHECK refuses the sign-up that passes the capacity.
        UPDATE initiatives_workday SET signups_count = signups_count + 1 WHERE id = day_id;
        RETURN NEW;
    END IF;
    UPDATE initiatives_workday SET signups_count = signups_count - 1 WHERE id = day_id;
    RETURN OLD;
END $$;

CREATE TRIGGER initiatives_signup_count
BEFORE INSERT OR DELETE ON initiatives_volunteersignup
FOR EACH ROW EXECUTE FUNCTION initiatives_signup_count();

CREATE FUNCTION initiatives_signup_volunteers() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    initiative bigint;
BEGIN
    SELECT w.initiative_id INTO initiative FROM initiatives_workday w
    WHERE w.id = CASE WHEN TG_OP = 'INSERT' THEN NEW.work_day_id ELSE OLD.work_day_id END;
    IF initiative IS NULL OR current_setting('initiatives.dropping', true) = initiative::text THEN
        RETURN NULL;
    END IF;
    -- A new statement sees every committed sign-up; the initiative is locked by this transaction.
    UPDATE initiatives_initiative SET volunteers_count = (
        SELECT count(DISTINCT s.user_id) FROM initiatives_volunteersignup s
        JOIN initiatives_workday w ON w.id = s.work_day_id
        WHERE w.initiative_id = initiative
    ) WHERE id = initiative;
    RETURN NULL;
END $$;

CREATE TRIGGER initiatives_signup_volunteers
AFTER INSERT OR DELETE ON initiatives_volunteersignup
FOR EACH ROW EXECUTE FUNCTION initiatives_signup_volunteers();

CREATE FUNCTION initiatives_initiative_drop_work_days() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM set_config('initiatives.dropping', OLD.id::text, true);
    DELETE FROM initiatives_volunteersignup
    WHERE work_day_id IN (SELECT id FROM initiatives_workday WHERE initiative_id = OLD.id);
    DELETE FROM initiatives_workday WHERE initiative_id = OLD.id;
    PERFORM set_config('initiatives.dropping', '', true);
    RETURN OLD;
END $$;

CREATE TRIGGER initiatives_initiative_drop_work_days
BEFORE DELETE ON initiatives_initiative
FOR EACH ROW EXECUTE FUNCTION initiatives_initiative_drop_work_days();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS initiatives_initiative_drop_work_days ON initiatives_initiative;
DROP FUNCTION IF EXISTS initiatives_initiative_drop_work_days();
DROP TRIGGER IF EXISTS initiatives_signup_volunteers ON initiatives_volunteersignup;
DROP FUNCTION IF EXISTS initiatives_signup_volunteers();
DROP TRIGGER IF EXISTS initiatives_signup_count ON initiatives_volunteersignup;
DROP FUNCTION IF EXISTS initiatives_signup_count();
DROP TRIGGER IF EXISTS initiatives_workday_place ON initiatives_workday;
DROP FUNCTION IF EXISTS initiatives_workday_place();
DROP TRIGGER IF EXISTS initiatives_initiative_volunteers_derived ON initiatives_initiative;
DROP FUNCTION IF EXISTS initiatives_initiative_volunteers_derived();
DROP TRIGGER IF EXISTS initiatives_support_count ON initiatives_proposalsupport;
DROP FUNCTION IF EXISTS initiatives_support_count();
DROP TRIGGER IF EXISTS initiatives_proposal_log_update ON initiatives_proposal;
DROP TRIGGER IF EXISTS initiatives_proposal_log_insert ON initiatives_proposal;
DROP FUNCTION IF EXISTS initiatives_proposal_log_status();
DROP TRIGGER IF EXISTS initiatives_proposal_rules ON initiatives_proposal;
DROP FUNCTION IF EXISTS initiatives_proposal_rules();
DROP FUNCTION IF EXISTS initiatives_partner_served_districts(bigint);
DROP TRIGGER IF EXISTS initiatives_partner_district_of_jurisdiction ON initiatives_partner_districts;
DROP FUNCTION IF EXISTS initiatives_partner_district_of_jurisdiction();
DROP TRIGGER IF EXISTS initiatives_partner_area ON initiatives_partner;
DROP FUNCTION IF EXISTS initiatives_partner_area();
DROP FUNCTION IF EXISTS initiatives_check_shape(geometry, text);
"""


def seed_service_kinds(apps, schema_editor):
    service_kind = apps.get_model("initiatives", "ServiceKind")
    for code, name_ar, name_en in SERVICE_KINDS:
        service_kind.objects.get_or_create(code=code, defaults={"name_ar": name_ar, "name_en": name_en})


class Migration(migrations.Migration):
    dependencies = [("initiatives", "0003_partners_proposals_volunteers")]

    operations = [
        migrations.RunSQL(FORWARD, BACKWARD),
        migrations.RunPython(seed_service_kinds, migrations.RunPython.noop),
    ]

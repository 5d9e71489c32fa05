-- GPS fixes check their device once per statement instead of once per row.
--
-- The foreign key gps_fix.device_id → patrol_device ran a lookup per stored fix (PostgreSQL's
-- referential-integrity trigger is row-level): about a third of storing a batch of fixes, the
-- table with the most rows and the fastest writes. The same rule is kept by statement triggers
-- with transition tables (one anti-join per statement) on gps_fix, and by a row trigger on
-- patrol_device, whose rows are few and change rarely: a device with fixes cannot be deleted or
-- renumbered. Violations raise foreign_key_violation (23503), as the foreign key did.

ALTER TABLE gps_fix DROP CONSTRAINT gps_fix_device_id_fkey;

CREATE FUNCTION gps_fix_device_check() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  missing integer;
BEGIN
  SELECT n.device_id INTO missing FROM changed_new n
  WHERE NOT EXISTS (SELECT 1 FROM patrol_device d WHERE d.id = n.device_id) LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'GPS fix of unknown device %', missing
      USING ERRCODE = 'foreign_key_violation', DETAIL = format('Key (device_id)=(%s) is not present in table "patrol_device".', missing);
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER gps_fix_device_ins AFTER INSERT ON gps_fix REFERENCING NEW TABLE AS changed_new
  FOR EACH STATEMENT EXECUTE FUNCTION gps_fix_device_check();
CREATE TRIGGER gps_fix_device_upd AFTER UPDATE ON gps_fix REFERENCING NEW TABLE AS changed_new
  FOR EACH STATEMENT EXECUTE FUNCTION gps_fix_device_check();

CREATE FUNCTION patrol_device_keep_fixes() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  IF (TG_OP = 'DELETE' OR NEW.id <> OLD.id) AND EXISTS (SELECT 1 FROM gps_fix f WHERE f.device_id = OLD.id) THEN
    RAISE EXCEPTION 'patrol device % has GPS fixes', OLD.id
      USING ERRCODE = 'foreign_key_violation', DETAIL = format('Key (id)=(%s) is still referenced from table "gps_fix".', OLD.id);
  END IF;
  RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END $$;

CREATE TRIGGER patrol_device_keep_fixes BEFORE DELETE OR UPDATE OF id ON patrol_device
  FOR EACH ROW EXECUTE FUNCTION patrol_device_keep_fixes();

-- 一标三实: the standard address (一标) and its three realities (三实): residents, housing, units.
-- Persons of concern (特殊/重点人群) hold sensitive identities; access scoping and masking are enforced
-- by later migrations and the API, but the columns are constrained here.

CREATE TABLE address (
  id           integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  code         text NOT NULL UNIQUE CHECK (code <> ''),
  grid_id      integer REFERENCES grid(id),
  -- 'spatial' grids follow the point when grids are redrawn; 'manual' ones were set by a person
  grid_source  text NOT NULL DEFAULT 'spatial' CHECK (grid_source IN ('spatial', 'manual')),
  address_text text NOT NULL CHECK (address_text <> ''),
  geom         geometry(Point, 4326) NOT NULL CHECK (NOT ST_IsEmpty(geom)),
  category     text NOT NULL DEFAULT 'general' CHECK (category IN ('general', 'key', 'attention')),
  vacant       boolean NOT NULL DEFAULT false,
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX address_geom_gist ON address USING gist (geom);
CREATE INDEX address_grid ON address (grid_id);

CREATE FUNCTION address_assign_grid() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.grid_source = 'spatial' AND (TG_OP = 'INSERT' OR NEW.grid_id IS NULL
      OR NOT ST_Equals(NEW.geom, OLD.geom)) THEN
    NEW.grid_id := grid_of(NEW.geom);
  END IF;
  NEW.updated_at := now();
  RETURN NEW;
END $$;
CREATE TRIGGER address_grid BEFORE INSERT OR UPDATE ON address
  FOR EACH ROW EXECUTE FUNCTION address_assign_grid();

-- 实有房屋: one housing record per address; its presence is what "housing record filled" means.
CREATE TABLE housing (
  address_id    integer PRIMARY KEY REFERENCES address(id),
  building_type text NOT NULL CHECK (building_type IN ('residential', 'bungalow', 'villa', 'shop',
                  'office', 'factory', 'mixed', 'other')),
  floors        integer CHECK (floors BETWEEN 1 AND 200),
  usage         text NOT NULL CHECK (usage IN ('self_occupied', 'rented', 'commercial', 'idle', 'other')),
  rented        boolean NOT NULL DEFAULT false,
  recorded_at   timestamptz NOT NULL DEFAULT now()
);

-- 实有人口
CREATE TABLE resident (
  id          integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  address_id  integer NOT NULL REFERENCES address(id),
  name        text NOT NULL CHECK (name <> ''),
  gender      text CHECK (gender IN ('M', 'F')),
  birth_date  date,
  id_number   text CHECK (id_number ~ '^[0-9]{17}[0-9X]$'),
  phone       text CHECK (phone ~ '^[0-9+\-]{5,20}$'),
  residence   text NOT NULL DEFAULT 'registered' CHECK (residence IN ('registered', 'floating', 'overseas')),
  recorded_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX resident_address ON resident (address_id);

-- 实有单位
CREATE TABLE org_unit (
  id          integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  address_id  integer NOT NULL REFERENCES address(id),
  name        text NOT NULL CHECK (name <> ''),
  kind        text NOT NULL CHECK (kind IN ('company', 'shop', 'school', 'government', 'ngo', 'other')),
  credit_code text CHECK (credit_code ~ '^[0-9A-Z]{18}$'),
  recorded_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX org_unit_address ON org_unit (address_id);

CREATE TABLE person_of_concern (
  id            integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  code          text NOT NULL UNIQUE CHECK (code <> ''),
  resident_id   integer REFERENCES resident(id),
  address_id    integer NOT NULL REFERENCES address(id),
  name          text NOT NULL CHECK (name <> ''),
  id_number     text CHECK (id_number ~ '^[0-9]{17}[0-9X]$'),
  phone         text CHECK (phone ~ '^[0-9+\-]{5,20}$'),
  category      text NOT NULL CHECK (category IN ('entitled', 'elderly_alone', 'child_distress', 'disabled',
                  'low_income', 'idle_youth', 'community_correction', 'six_losses', 'petition')),
  control_level smallint NOT NULL CHECK (control_level BETWEEN 1 AND 3),
  since         date NOT NULL,
  until         date,
  notes         text,
  created_at    timestamptz NOT NULL DEFAULT now(),
  CHECK (until IS NULL OR until >= since)
);
CREATE INDEX person_of_concern_address ON person_of_concern (address_id);

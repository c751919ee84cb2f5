-- The resident's care record: who they are, how to get in, what to watch for, who to call.
-- Imported from the council's care record (FHIR R4 UK Core or CSV) and kept in step by re-import/sync.
-- Special-category health data: every read through the console is written to resident_access_log.

ALTER TABLE homes
    ADD COLUMN access_notes   text NOT NULL DEFAULT '',   -- e.g. "door sticks; side gate code 1234 is NOT the key safe"
    ADD COLUMN key_safe_code  text,                       -- shown only after acknowledge + explicit reveal (audited)
    ADD COLUMN postcode       text NOT NULL DEFAULT '';

ALTER TABLE residents
    ADD COLUMN date_of_birth          date,
    ADD COLUMN nhs_number             text CHECK (nhs_number IS NULL OR nhs_number ~ '^[0-9]{10}$'),
    ADD COLUMN languages              text[] NOT NULL DEFAULT '{}',  -- BCP 47 tags, e.g. {bn,syl,en}
    ADD COLUMN preferred_language     text NOT NULL DEFAULT 'en',
    ADD COLUMN interpreter_needed     boolean NOT NULL DEFAULT false,
    ADD COLUMN communication_needs    text NOT NULL DEFAULT '',      -- e.g. "hard of hearing: speak slowly"
    ADD COLUMN care_plan_summary      text NOT NULL DEFAULT '',
    ADD COLUMN gp_name                text NOT NULL DEFAULT '',
    ADD COLUMN gp_practice            text NOT NULL DEFAULT '',
    ADD COLUMN gp_phone               text NOT NULL DEFAULT '',
    -- [{"provider": "...", "days": "Mon-Fri", "times": "08:00, 18:00", "phone": "..."}]
    ADD COLUMN care_visits            jsonb NOT NULL DEFAULT '[]',
    ADD COLUMN source                 text NOT NULL DEFAULT 'manual' CHECK (source IN ('manual', 'fhir', 'csv', 'seed')),
    ADD COLUMN updated_at             timestamptz NOT NULL DEFAULT now();
CREATE UNIQUE INDEX residents_fhir_patient ON residents (fhir_patient_id) WHERE fhir_patient_id IS NOT NULL;
CREATE UNIQUE INDEX residents_mosaic ON residents (mosaic_id) WHERE mosaic_id IS NOT NULL;

-- Conditions (FHIR Condition) and risks/alerts on the record (FHIR Flag), e.g. falls risk, dementia, lives alone.
CREATE TABLE resident_conditions (
    id           bigserial PRIMARY KEY,
    resident_id  text NOT NULL REFERENCES residents ON DELETE CASCADE,
    category     text NOT NULL CHECK (category IN ('condition', 'risk')),
    code         text NOT NULL DEFAULT '',      -- SNOMED CT where known
    display      text NOT NULL,
    active       boolean NOT NULL DEFAULT true,
    source_id    text,                          -- e.g. "Condition/abc" or "Flag/xyz" so re-import updates in place
    updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX resident_conditions_source ON resident_conditions (resident_id, source_id) WHERE source_id IS NOT NULL;

-- Responders and keyholders in the order the operator should call them.
CREATE TABLE responders (
    id                       bigserial PRIMARY KEY,
    resident_id              text NOT NULL REFERENCES residents ON DELETE CASCADE,
    position                 integer NOT NULL DEFAULT 1,
    name                     text NOT NULL,
    relationship             text NOT NULL DEFAULT '',   -- "daughter", "neighbour", ...
    kind                     text NOT NULL DEFAULT 'family'
                             CHECK (kind IN ('family', 'neighbour', 'friend', 'mobile_responder', 'warden', 'carer', 'other')),
    phone                    text NOT NULL DEFAULT '',
    availability             text NOT NULL DEFAULT '',   -- "weekdays after 18:00", "24/7"
    holds_key                boolean NOT NULL DEFAULT false,
    fhir_related_person_id   text,
    updated_at               timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX responders_resident ON responders (resident_id, position);
CREATE UNIQUE INDEX responders_fhir ON responders (fhir_related_person_id) WHERE fhir_related_person_id IS NOT NULL;

-- Who read or revealed what of a resident's record, when and why (which alert).
CREATE TABLE resident_access_log (
    id           bigserial PRIMARY KEY,
    at           timestamptz NOT NULL DEFAULT now(),
    actor        text NOT NULL,                  -- "operator:Jo Bloggs", "family:12", "system:fhir-sync"
    resident_id  text REFERENCES residents ON DELETE SET NULL,
    action       text NOT NULL,                  -- view_record, reveal_key_safe, family_view, refused, import
    alert_id     bigint REFERENCES alerts ON DELETE SET NULL,
    reason       text NOT NULL DEFAULT '',
    detail       jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX resident_access_log_resident ON resident_access_log (resident_id, at DESC);
CREATE INDEX resident_access_log_at ON resident_access_log (at DESC);

-- Behavioural models: learned baselines per resident (versioned), periods the resident is known to be
-- away (registered on the care record), operator feedback, and one row per detected episode so that
-- scoring the same episode every minute raises one alert, not many.

CREATE TABLE baselines (
    home_id        text NOT NULL REFERENCES homes ON DELETE CASCADE,
    version        integer NOT NULL,
    params         jsonb NOT NULL,
    trained_at     timestamptz NOT NULL DEFAULT now(),
    trained_until  timestamptz NOT NULL,  -- event time of the last reading it learned from
    days_used      integer NOT NULL,
    cold_start     boolean NOT NULL,
    PRIMARY KEY (home_id, version)
);

CREATE TABLE absences (
    id          bigserial PRIMARY KEY,
    home_id     text NOT NULL REFERENCES homes ON DELETE CASCADE,
    starts_at   timestamptz NOT NULL,
    ends_at     timestamptz,
    reason      text NOT NULL DEFAULT 'hospital',
    recorded_by text NOT NULL DEFAULT 'care record',
    recorded_at timestamptz NOT NULL DEFAULT now(),
    CHECK (ends_at IS NULL OR ends_at > starts_at)
);
CREATE INDEX absences_home ON absences (home_id, starts_at);

-- Per-resident, per-kind sensitivity learned from operators' verdicts on behavioural alerts.
CREATE TABLE model_feedback (
    id        bigserial PRIMARY KEY,
    alert_id  bigint NOT NULL REFERENCES alerts ON DELETE CASCADE,
    home_id   text NOT NULL REFERENCES homes ON DELETE CASCADE,
    kind      text NOT NULL,
    outcome   text NOT NULL,
    at        timestamptz NOT NULL DEFAULT now(),
    UNIQUE (alert_id)
);
CREATE INDEX model_feedback_home ON model_feedback (home_id, kind);

CREATE TABLE behaviour_episodes (
    home_id      text NOT NULL REFERENCES homes ON DELETE CASCADE,
    kind         text NOT NULL,
    episode      text NOT NULL,
    alert_id     bigint REFERENCES alerts ON DELETE SET NULL,
    onset        timestamptz NOT NULL,
    detected_at  timestamptz NOT NULL,
    PRIMARY KEY (home_id, kind, episode)
);

-- Where live scoring has got to per home, in event time.
CREATE TABLE score_watermarks (
    home_id      text PRIMARY KEY REFERENCES homes ON DELETE CASCADE,
    scored_until timestamptz NOT NULL,
    scored_at    timestamptz NOT NULL DEFAULT now()
);

-- What a behavioural alert carries beyond the common columns.
ALTER TABLE alerts
    ADD COLUMN confidence  real,
    ADD COLUMN cold_start  boolean NOT NULL DEFAULT false,
    ADD COLUMN evidence    jsonb NOT NULL DEFAULT '[]';

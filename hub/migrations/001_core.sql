-- Homes, residents, devices, dead letters, alerts with their audit trail, and the outbox.
-- Times are timestamptz in UTC; ids are short text slugs.

CREATE TABLE homes (
    home_id                 text PRIMARY KEY CHECK (home_id ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$'),
    address                 text NOT NULL DEFAULT '',
    created_at              timestamptz NOT NULL DEFAULT now(),
    unit_state              text NOT NULL DEFAULT 'unknown' CHECK (unit_state IN ('unknown', 'online', 'offline')),
    unit_state_ts           timestamptz,
    unit_state_received_at  timestamptz
);

CREATE TABLE residents (
    resident_id      text PRIMARY KEY,
    home_id          text NOT NULL REFERENCES homes ON DELETE CASCADE,
    name             text NOT NULL,
    preferred_name   text,
    mosaic_id        text,
    fhir_patient_id  text,
    created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX residents_home ON residents (home_id);

CREATE TABLE devices (
    home_id               text NOT NULL REFERENCES homes ON DELETE CASCADE,
    device_id             text NOT NULL CHECK (device_id ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$'),
    kind                  text NOT NULL,
    room                  text,
    heartbeat_interval_s  integer NOT NULL DEFAULT 3600 CHECK (heartbeat_interval_s > 0),
    registered_at         timestamptz NOT NULL DEFAULT now(),
    last_seen_at          timestamptz,
    last_seq              bigint,
    battery               smallint,
    PRIMARY KEY (home_id, device_id)
);

-- Anything that could not be stored as an event, kept byte for byte with the reason.
CREATE TABLE dead_letters (
    id           bigserial PRIMARY KEY,
    received_at  timestamptz NOT NULL DEFAULT now(),
    topic        text NOT NULL,
    payload      bytea NOT NULL,
    reason       text NOT NULL,
    home_id      text,
    device_id    text
);
CREATE INDEX dead_letters_received ON dead_letters (received_at DESC);

CREATE TABLE alerts (
    id                bigserial PRIMARY KEY,
    home_id           text NOT NULL REFERENCES homes,
    resident_id       text REFERENCES residents,
    kind              text NOT NULL,
    device_id         text NOT NULL DEFAULT '',
    priority          smallint NOT NULL CHECK (priority BETWEEN 1 AND 4),
    condition         text NOT NULL CHECK (condition IN ('active', 'cleared')),
    handling          text NOT NULL CHECK (handling IN ('new', 'acknowledged', 'resolved')),
    repeat_count      integer NOT NULL DEFAULT 1 CHECK (repeat_count >= 1),
    escalation_level  integer NOT NULL DEFAULT 0,
    explanation       text NOT NULL DEFAULT '',
    first_event_ts    timestamptz,
    last_event_ts     timestamptz,
    raised_at         timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL,
    acknowledged_at   timestamptz,
    acknowledged_by   text,
    escalated_at      timestamptz,
    cleared_at        timestamptz,
    resolved_at       timestamptz,
    resolved_by       text,
    outcome           text,
    resolution_note   text,
    version           integer NOT NULL DEFAULT 1
);
-- At most one unresolved alert per dedup key: a repeat raises repeat_count, never a second alert.
CREATE UNIQUE INDEX alerts_one_unresolved_per_key ON alerts (home_id, kind, device_id) WHERE handling <> 'resolved';
CREATE INDEX alerts_unresolved_queue ON alerts (priority, raised_at) WHERE handling <> 'resolved';
CREATE INDEX alerts_home ON alerts (home_id, raised_at DESC);

CREATE TABLE alert_audit (
    id              bigserial PRIMARY KEY,
    alert_id        bigint NOT NULL REFERENCES alerts ON DELETE CASCADE,
    at              timestamptz NOT NULL,
    actor           text NOT NULL,
    action          text NOT NULL,
    rule            text NOT NULL,
    from_condition  text,
    to_condition    text NOT NULL,
    from_handling   text,
    to_handling     text NOT NULL,
    version         integer NOT NULL,
    detail          jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX alert_audit_alert ON alert_audit (alert_id, id);

-- Written in the same transaction as the change it reports; delivered by the outbox worker after commit.
CREATE TABLE outbox (
    id            bigserial PRIMARY KEY,
    created_at    timestamptz NOT NULL DEFAULT now(),
    topic         text NOT NULL,
    alert_id      bigint REFERENCES alerts ON DELETE CASCADE,
    payload       jsonb NOT NULL,
    status        text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sending', 'done', 'failed')),
    attempts      integer NOT NULL DEFAULT 0,
    available_at  timestamptz NOT NULL DEFAULT now(),
    claimed_at    timestamptz,
    claimed_by    text,
    done_at       timestamptz,
    last_error    text
);
CREATE INDEX outbox_due ON outbox (available_at) WHERE status IN ('pending', 'sending');

-- One row per delivery attempt per channel.
CREATE TABLE delivery_log (
    id          bigserial PRIMARY KEY,
    outbox_id   bigint NOT NULL REFERENCES outbox ON DELETE CASCADE,
    channel     text NOT NULL,
    attempt     integer NOT NULL,
    at          timestamptz NOT NULL DEFAULT now(),
    ok          boolean NOT NULL,
    permanent   boolean NOT NULL DEFAULT false,
    error       text
);
CREATE INDEX delivery_log_outbox ON delivery_log (outbox_id);

-- Families: relatives who asked to be told about alerts, in their language, on their channels.
-- Messages carry the minimum personal data; each leaves only from the outbox after commit.

CREATE TABLE family_members (
    id                      bigserial PRIMARY KEY,
    resident_id             text NOT NULL REFERENCES residents ON DELETE CASCADE,
    responder_id            bigint REFERENCES responders ON DELETE SET NULL,  -- the RelatedPerson, when linked
    name                    text NOT NULL,
    language                text NOT NULL DEFAULT 'en',  -- catalogue to write in: en, bn, so, ur, pl, zh_Hans, ...
    consent_given_at        timestamptz,                  -- no consent, no message
    consent_recorded_by     text,
    consent_withdrawn_at    timestamptz,
    alert_kinds             text[] NOT NULL DEFAULT '{}', -- empty: every kind the hub offers to families
    quiet_start             time,                         -- local time; emergencies bypass quiet hours
    quiet_end               time,
    timezone                text NOT NULL DEFAULT 'Europe/London',
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX family_members_resident ON family_members (resident_id);

CREATE TABLE family_channels (
    id                bigserial PRIMARY KEY,
    family_member_id  bigint NOT NULL REFERENCES family_members ON DELETE CASCADE,
    channel           text NOT NULL CHECK (channel IN ('email', 'sms', 'webpush')),
    address           text NOT NULL,                -- email address, E.164 phone, or push subscription JSON
    position          integer NOT NULL DEFAULT 1,   -- tried in this order
    enabled           boolean NOT NULL DEFAULT true,
    disabled_at       timestamptz,
    disabled_reason   text,                         -- a permanent delivery error; shown on the console
    created_at        timestamptz NOT NULL DEFAULT now(),
    UNIQUE (family_member_id, channel, address)
);

-- One row per alert per family member: at most one message each, whatever retries or crashes happen.
CREATE TABLE family_notifications (
    id                bigserial PRIMARY KEY,
    alert_id          bigint NOT NULL REFERENCES alerts ON DELETE CASCADE,
    family_member_id  bigint NOT NULL REFERENCES family_members ON DELETE CASCADE,
    channel_id        bigint REFERENCES family_channels ON DELETE SET NULL,
    outbox_id         bigint REFERENCES outbox ON DELETE SET NULL,
    language          text NOT NULL,
    status            text NOT NULL DEFAULT 'pending'
                      CHECK (status IN ('pending', 'held', 'sending', 'sent', 'failed', 'uncertain', 'skipped')),
    hold_until        timestamptz,                  -- quiet hours: not before this
    created_at        timestamptz NOT NULL DEFAULT now(),
    sent_at           timestamptz,
    last_error        text,
    UNIQUE (alert_id, family_member_id)
);
CREATE INDEX family_notifications_alert ON family_notifications (alert_id);

-- Expiring magic links; only a hash of the token is stored.
CREATE TABLE family_links (
    id                bigserial PRIMARY KEY,
    family_member_id  bigint NOT NULL REFERENCES family_members ON DELETE CASCADE,
    token_sha256      bytea NOT NULL UNIQUE,
    alert_id          bigint REFERENCES alerts ON DELETE CASCADE,
    created_at        timestamptz NOT NULL DEFAULT now(),
    expires_at        timestamptz NOT NULL,
    last_used_at      timestamptz
);

-- A relative's answer to a wellbeing alert, shown to the operator on the alert.
CREATE TABLE family_responses (
    id                bigserial PRIMARY KEY,
    alert_id          bigint NOT NULL REFERENCES alerts ON DELETE CASCADE,
    family_member_id  bigint NOT NULL REFERENCES family_members ON DELETE CASCADE,
    at                timestamptz NOT NULL DEFAULT now(),
    answer            text NOT NULL CHECK (answer IN ('going_round', 'all_fine', 'cannot_help')),
    note              text NOT NULL DEFAULT ''
);
CREATE INDEX family_responses_alert ON family_responses (alert_id, at);

-- Outbox rows with a key are created at most once (fan-out after a crash cannot duplicate them).
ALTER TABLE outbox ADD COLUMN dedup_key text;
CREATE UNIQUE INDEX outbox_dedup_key ON outbox (dedup_key) WHERE dedup_key IS NOT NULL;

-- While relatives are asked about a wellbeing alert: when their answer is due, and when it came back
-- to the operator queue unanswered.
ALTER TABLE alerts
    ADD COLUMN family_answer_due  timestamptz,
    ADD COLUMN requeued_at        timestamptz;

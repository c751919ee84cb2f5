-- Events as a plain PostgreSQL table. Identity is (home_id, device_id, seq): a retry is stored once.
CREATE TABLE events (
    home_id      text NOT NULL,
    device_id    text NOT NULL,
    seq          bigint NOT NULL,
    ts           timestamptz NOT NULL,
    received_at  timestamptz NOT NULL DEFAULT now(),
    type         text NOT NULL,
    value        double precision,
    room         text,
    battery      smallint,
    PRIMARY KEY (home_id, device_id, seq)
);
CREATE INDEX events_home_ts ON events (home_id, ts DESC);
CREATE INDEX events_ts_brin ON events USING brin (ts);

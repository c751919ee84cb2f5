-- Events as a TimescaleDB hypertable in 1-day chunks. Timescale requires the time column in every
-- unique key, so identity is (home_id, device_id, seq, ts); a retry resends the identical ts, so it
-- still lands on the same key and is stored once.
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
    PRIMARY KEY (home_id, device_id, seq, ts)
);
SELECT create_hypertable('events', by_range('ts', INTERVAL '1 day'));
CREATE INDEX events_home_ts ON events (home_id, ts DESC);
ALTER TABLE events SET (
    timescaledb.compress,
    timescaledb.compress_segmentby = 'home_id, device_id',
    timescaledb.compress_orderby = 'ts DESC, seq DESC'
);

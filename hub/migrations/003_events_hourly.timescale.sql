-- hub: no-transaction
-- Hourly roll-up per device, kept up to date by a continuous aggregate policy; real-time
-- aggregation (materialized_only = false) adds the hours the policy has not yet materialised.
CREATE MATERIALIZED VIEW events_hourly WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
SELECT home_id, device_id, type, time_bucket(INTERVAL '1 hour', ts) AS bucket,
       count(*) AS events, avg(value) AS avg_value, min(value) AS min_value, max(value) AS max_value
FROM events
GROUP BY home_id, device_id, type, time_bucket(INTERVAL '1 hour', ts)
WITH NO DATA;
SELECT add_continuous_aggregate_policy('events_hourly',
    start_offset => INTERVAL '3 days', end_offset => INTERVAL '1 hour',
    schedule_interval => INTERVAL '30 minutes');

-- Without Timescale the hourly roll-up is an ordinary view with the same columns.
CREATE VIEW events_hourly AS
SELECT home_id, device_id, type, date_trunc('hour', ts) AS bucket,
       count(*) AS events, avg(value) AS avg_value, min(value) AS min_value, max(value) AS max_value
FROM events
GROUP BY home_id, device_id, type, date_trunc('hour', ts);

-- Sequence health per device: a gap in `seq` is an event the unit sent that has not arrived (yet),
-- and an event arriving after a higher seq was delivered out of order. Both are shown per device.
ALTER TABLE devices
    ADD COLUMN first_seq     bigint,                      -- lowest seq stored since tracking began
    ADD COLUMN stored_count  bigint NOT NULL DEFAULT 0,   -- distinct events stored since then
    ADD COLUMN out_of_order  bigint NOT NULL DEFAULT 0;   -- events that arrived after a higher seq

-- Start from what is already stored, so existing devices do not show their history as missing.
UPDATE devices d
SET first_seq = s.first_seq, stored_count = s.stored
FROM (SELECT home_id, device_id, min(seq) AS first_seq, count(*) AS stored FROM events GROUP BY 1, 2) s
WHERE (d.home_id, d.device_id) = (s.home_id, s.device_id);

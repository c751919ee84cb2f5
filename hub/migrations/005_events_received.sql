-- Behavioural scoring reads "what arrived since the last pass" every minute; without this it scans events.
CREATE INDEX events_received ON events (received_at);

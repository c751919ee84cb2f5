"""What every part of the hub shares: settings, the database schema and migrations,
MQTT connection helpers, the embedded services for the demo, and the `hub` command line."""

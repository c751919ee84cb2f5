"""Ingest owns the hop from the broker to the database: it validates each MQTT message against the
v1 contract, stores events idempotently in batches (dead-lettering what it cannot store), raises
alarm-class and technical alerts in the same transaction, and only after commit acks the message
to the broker and publishes the app-level ack back to the home unit."""

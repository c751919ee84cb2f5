"""Real services for the tests: a private PostgreSQL database, a private Mosquitto on a free port, the
console in a background thread, and a minimal home-unit client that collects acks."""

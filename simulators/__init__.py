"""Simulated homes that speak the MQTT contract (design.md §2), with known ground truth.

`homes` lays out deterministic homes and their devices; `residents` says who lives there (persona,
carer, partner, later weekends, heating and sensor quality); `household` and `living` turn a household
and a local day into the sensor events it would produce, with `climate` for indoor temperature and
`localtime` for the London wall clock; `routines` and `schedule` feed those days, with heartbeats and
alarms, to `run`, which drives many `unit`s (home units with app-level ack/retry) on a simulated clock.

For the behavioural models: `scenarios` plans labelled anomalies and harmless traps per home,
`history` generates weeks of labelled data fast (and rows for bulk loading), and `replay` publishes
recorded CSV data over MQTT as the home units would.
"""

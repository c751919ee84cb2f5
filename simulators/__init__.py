"""Simulated homes that speak the MQTT contract (design.md §2), with known ground truth.

`homes` lays out deterministic homes and residents, `routines` turns a home and a day into the
sensor events a resident's day would produce, `unit` is one home unit (gateway) with its own
MQTT client and app-level ack/retry, and `run` drives many units on a simulated clock.
"""

"""Alerts own the alert lifecycle: the pure transition function (raise, repeat, clear, acknowledge,
escalate, resolve), the engine that applies it in one transaction with its audit and outbox rows,
supervision of silent devices, escalation of unacknowledged emergencies, and the outbox worker that
delivers notifications through one small module per channel."""

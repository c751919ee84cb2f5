"""Models own the learned side of detection: per-resident routines learned from each home's own
history and the behavioural anomaly detectors (no movement by usual wake time, night wandering, missed
meals, cold home, decline over weeks) that raise priority-2 and -3 alerts with a plain-language
explanation. The package is empty for now: the hub raises alarm-class and technical alerts only."""

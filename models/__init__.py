"""Learned per-resident routines and the behavioural anomaly detectors built on them.

    train(home_id, readings, until) -> Baseline          models.train (JSON via Baseline.to_dict/from_dict)
    HomeScorer(home_id, baseline, absences, adjustments)  models.score: observe(), observe_heartbeat(),
                                                          findings(now) in event time, one key per episode
    apply_feedback(adjustments, kind, outcome)            models.feedback
    evaluate(homes, days, seed) / write_report(...)       models.evaluate, models.report (bench/detection.md)

Pure logic throughout: no database, no broker, no wall clock (models.service, models.store, models.warmup
and models.training are the edges that wire it to PostgreSQL, worker processes and the alert engine). A
behavioural finding carries a plain-language explanation with the numbers behind it, a confidence, its
evidence and whether it was judged against population priors (cold start).
"""

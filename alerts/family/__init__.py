"""Telling families: relatives who asked to hear about alerts, in their language, on their channels.

Flow (each step commits before the next starts, and each survives a crash):

1. The engine writes an `alert.raised` outbox row with the alert (alerts/engine.py).
2. The outbox worker hands it to `fanout.handle`: `policy` decides who is told (consent, the kinds offered to
   families and chosen by each relative, quiet hours in their time zone, emergencies bypassing them) and one
   transaction writes a `family_notifications` row per relative plus a `family.notify` outbox row each
   (`dedup_key` family:<alert>:<relative>; held ones due when quiet hours end).
3. The worker hands each `family.notify` row to `delivery.handle`: it renders the message (`messages`, gettext
   catalogues under `locales/`), creates the relative's magic link (`links`), marks the notification
   'sending', sends on the first working channel (alerts/channels/email.py, sms.py, webpush.py) and records
   the outcome; see delivery.py for how a resend after a crash is kept from reaching anyone twice.
4. A relative answers on the family page (console/routes/family.py → `answers.record_answer`); when nobody
   answers an urgent or wellbeing alert in time, `answers.requeue_unanswered` puts it back in the queue.

Only `alert.raised` is told to families: one message per alert per relative (the schema holds to that), and
the family page shows whether it has been dealt with.
"""

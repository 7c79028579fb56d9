"""What Confiance sends and publishes on the freelancer's behalf: digests, nudges, status updates, the calendar.

- `outbox`: what is due lives in `Dispatch` rows; sweep, claim, deliver (exactly once; see docs/reminders.md).
- `kinds`: the outbox's registry, the fixed list of each dispatch kind's builder and after-send step.
- `digest`, `status_updates`: what a digest, a nudge and its status-update drafts say, and the status update sent
  from the app through the freelancer's own SMTP server (`crm.capture.sending` is its transport).
- `emails`: rendering the email triples, absolute links, the signed preferences link.
- `calendar`: the private iCalendar feed of promise and status-update due dates.
- `tasks`: the Celery edge (sweep, send, purge): the only module here that talks to the broker.
- `views`, `urls`, `forms`: the status-update draft page, calendar settings and feed, email preferences.
- `command`: the shared body of `send_digests` and `send_nudges`.
"""

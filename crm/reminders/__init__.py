"""What Confiance sends and publishes on the freelancer's behalf: digests, nudges, status updates, the calendar.

- `outbox`: what is due lives in `Dispatch` rows; sweep, claim, deliver (exactly once; see docs/reminders.md).
- `digest`, `status_updates`: what a digest and a nudge's status-update draft say.
- `emails`: rendering the email triples, absolute links, the signed preferences link.
- `calendar`: the private iCalendar feed of promise and status-update due dates.
- `tasks`: the Celery edge (sweep, send, purge): the only module here that talks to the broker.
- `views`, `urls`, `forms`: the status-update draft page, calendar settings and feed, email preferences.
- `command`: the shared body of `send_digests` and `send_nudges`.
"""

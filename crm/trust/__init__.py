"""Trust health: the pure formula, its reasons in words, and the ORM side that keeps every client's score current.

- `formula`: the score from plain facts (no Django; property-tested, explained in docs/trust-model.md).
- `reasons`: each reason code in words, with its next step from the guide.
- `health`: load a client's history as facts, run the formula, store `ClientHealth` and the nightly snapshots.
- `signals`: recompute the affected client whenever the journal changes, in the same transaction.
- `tasks`: the nightly recompute and snapshot task.

Nothing here imports `crm.web` or `crm.reminders`: they use trust health, never the reverse.
"""

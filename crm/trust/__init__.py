"""Trust health: the pure formula, its reasons in words, and the ORM side that keeps every client's score current.

- `formula`: the score from plain facts (no Django; property-tested, explained in docs/trust-model.md).
- `reasons`: each reason code in words, with its next step from the guide.
- `health`: load a client's history as facts, run the formula, store `ClientHealth` and the nightly snapshots.
- `door`: `journal_changed`, the one door every path that changes a journal calls: contact clocks, trust health,
  health moves, book version, once.
- `signals`: the one receiver left (a client row deleted moves its book version); it recomputes nothing.
- `tasks`: the nightly recompute and snapshot task.

Nothing here imports `crm.web` or `crm.reminders`: they use trust health, never the reverse.
"""

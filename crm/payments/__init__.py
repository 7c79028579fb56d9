"""Payment follow-up: what the law allows to claim on a late invoice, and the reminders that ask for payment.

- `interest`: the late-payment interest and the fixed recovery compensation, from plain values and dated rates
  (no Django; property-tested, explained in docs/payments.md).
- `schedule`: when each reminder of an overdue invoice is due, in the freelancer's time zone (no Django).
- `ratefile`: the rates file shipped in `data/rates.csv`, read and checked row by row (no Django).
- `claims`: the claim of a stored invoice, with the rates stored as dated rows (`LatePaymentRate`), and the
  loading of a rates file into them (`load_late_payment_rates`).

The reminders themselves are sent by `crm.reminders.payment_follow_up`, through the outbox. Nothing here imports
`crm.web` or `crm.reminders`: they use payments, never the reverse.
"""

"""Payment follow-up: what the law allows to claim on a late invoice, and the reminders that ask for payment.

- `interest`: the late-payment interest and the fixed recovery compensation, from plain values and dated rates
  (no Django; property-tested, explained in docs/payments.md).
"""

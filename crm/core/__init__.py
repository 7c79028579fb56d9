"""The ground floor: what every room of the book stands on, written once.

It owns the dates (the window every date lives in, safe date arithmetic, the local day and local midnight, ISO
and written days: `crm/core/days.py` plain, `crm/core/dates.py` with Django's validators and constraints), the
rules every face must answer alike (`crm/core/rules.py`: days late, the effective due date, the status update
due, overdue promises, the settle delay, a feeling's duration), their SQL bounds (`crm/core/queries.py`), the
form mixins and widgets every form adopts (`crm/core/forms.py`, `crm/core/widgets.py`) and the one ownership
fetch of every face (`crm/core/ownership.py`), and the one secret-link primitive (`crm/core/links.py`).

It imports only the standard library and Django, never a room of crm (trust, web, api, portal, reminders,
capture, dataio, payments, trash, models...) nor the `clients` and `conflicts` apps: every app may import it,
so it may import none of them (a model it needs is passed in as an argument). `crm/core/days.py` and
`crm/core/rules.py` import nothing of Django either, so the pure trust formula can share them.
`tests/test_architecture.py` checks both.
"""

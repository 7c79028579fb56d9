"""The client's page: what the client sees of the relationship, through a private link, without logging in.

It owns the page itself (`crm/portal/page.py` gathers what it shows, `crm/portal/views.py` serves it to the
link's holder and to the freelancer's preview, `crm/portal/forms.py` the one answer a client can give: a new
payment date for an overdue invoice), and the freelancer's panel in the workspace that makes, renews, turns off
and configures the link. The link's row is `ClientPage` (`crm/models/portal.py`); the client's answer is recorded
by `Invoice.confirm_new_date_by_client`, as the client's promise, which the trust engine counts like any other.
"""

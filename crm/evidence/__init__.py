"""The evidence pack: for one client, a dated PDF of what a dispute or an "injonction de payer" needs (the agreed
scope, the promise log both ways, invoices, the payment reminders sent, the timeline), in the freelancer's
language and signed with their business identity, and a ZIP of it with its sources (CSV and JSON of the records,
the emails sent).

`crm/evidence/sections.py`: the pack as an ordered list of sections, each one builder and one template partial
(`templates/evidence/_<name>.html`). `crm/evidence/build.py`: a pack from the sections to its PDF (WeasyPrint)
and ZIP, progress in the cache. `crm/evidence/tasks.py`: its Celery edge (queue `imports`).
`crm/evidence/views.py`, `crm/evidence/urls.py`: the workspace's pages (`web:client_evidence_packs`...).
"""

"""The REST API under `/api/`: the book (clients, projects, interactions, promises, invoices, conflict signals) for
scripts, with personal access tokens.

`crm/api/app.py` builds the django-ninja API (OpenAPI 3 schema at `/api/openapi.json`, interactive docs at
`/api/docs`); `crm/api/auth.py` reads a bearer token (`clients.models.AccessToken`), checks its scope and its rate;
`crm/api/problems.py` answers every error as `application/problem+json` (RFC 9457); `crm/api/schemas.py` says
what goes in and out; `crm/api/resources.py` is the create/read/update/delete of each kind, through the models'
own validation (`full_clean`, the date window) in one transaction, and the read-only trust health;
`crm/api/pages.py` is cursor pagination and `updated_since`. `crm/api/views.py` is the Settings page where
tokens are made and revoked (`web:api_tokens`). It uses the models, trust and the trash; nothing imports it but
the URLs.
"""

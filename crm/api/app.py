"""The API itself: django-ninja, its OpenAPI 3 schema (`/api/openapi.json`) and interactive docs (`/api/docs`)."""

from __future__ import annotations

from typing import Any

from ninja import NinjaAPI

from crm.api import problems
from crm.api.auth import TokenAuth
from crm.api.recaps import router as recaps_router
from crm.api.resources import router

DESCRIPTION = """The freelancer's book for scripts: clients, contacts, projects, interactions, promises, invoices, conflict
signals, and each client's trust health (read only).

Authenticate with a personal access token made in Settings → API tokens: `Authorization: Bearer <token>`.
Lists are paged with a cursor (`next_cursor`) and filtered with `updated_since`. Every error is
`application/problem+json` (RFC 9457). See docs/api.md in the repository."""


class BookAPI(NinjaAPI):
    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> Any:
        """Return the schema, the errors' media type said as it is sent: `application/problem+json`."""
        schema = super().get_openapi_schema(*args, **kwargs)
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                for status, response in operation.get("responses", {}).items():
                    content = response.get("content", {})
                    if int(status) >= 400 and "application/json" in content:
                        content[problems.MEDIA_TYPE] = content.pop("application/json")
        return schema


api = BookAPI(
    title="Confiance API",
    version="1.0.0",
    description=DESCRIPTION,
    auth=TokenAuth(),
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
)
problems.install(api)
api.add_router("/", router)
api.add_router("/", recaps_router)

"""Input at the edge: NUL bytes refused with a clear page, lengths measured as the database measures them, and
every write in one transaction with its signals (a failure after the save stores nothing)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

import pytest
from django.core.mail.backends import locmem
from django.db import connection
from django.db.models.signals import post_save
from django.urls import reverse
from django.utils import timezone

from clients.models import Client, Project
from crm.models import Interaction
from tests.factories import make_client, make_project, make_user

NUL_MESSAGE = "contains a null character"


# -- finding 4: NUL bytes ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url", ["/?q=a%00b", "/clients/?q=a%00b", "/promises/?q=%00", "/?status=active&band=%00", "/?a%00=1"]
)
def test_a_nul_byte_in_a_search_is_refused_with_a_clear_page(alice_client: Any, url: str) -> None:
    response = alice_client.get(url)
    assert response.status_code == 400
    assert NUL_MESSAGE in response.content.decode()


def test_a_nul_byte_in_a_form_stores_nothing(alice_client: Any) -> None:
    data = {"name": "Ate\x00lier", "language": "fr", "status": "active", "cadence_days": "7"}
    response = alice_client.post(reverse("web:client_new"), data)
    assert response.status_code == 400
    assert NUL_MESSAGE in response.content.decode()
    assert not Client.objects.exists()


def test_the_nul_page_speaks_french(client: Any, bob: Any) -> None:
    client.force_login(bob)
    assert "caractère nul" in client.get("/?q=%00").content.decode()


# -- finding 4: lengths as the database counts them ---------------------------------------------------------


def test_a_status_update_subject_with_combining_marks_fits_the_summary_column(alice: Any) -> None:
    """Truncator counts "q́" (q + U+0301, no precomposed form) as one character; varchar(500) as two."""
    client = make_client(alice)
    subject = "q\u0301" * 400
    update = Interaction.objects.log_status_update(client, subject, "body " * 100, timezone.now())
    update.refresh_from_db()
    assert len(update.summary) <= 500
    assert update.summary.startswith("q\u0301q\u0301")
    assert update.summary.endswith("…")


def test_a_status_update_with_combining_marks_through_the_view(alice_client: Any, alice: Any) -> None:
    client = make_client(alice)
    url = reverse("web:status_update_mark_sent", kwargs={"client_id": client.pk})
    response = alice_client.post(url, {"subject": "q\u0308" * 90, "body": "x\u0302" * 400})
    assert response.status_code == 302
    assert len(Interaction.objects.get(client=client).summary) <= 500


# -- finding 5: a failure after the write rolls it back -----------------------------------------------------


class Boom(Exception):
    pass


@pytest.fixture
def failing_after_save() -> Iterator[None]:
    """A receiver that fails after every client or project save, as a later error in the request would."""

    def fail(**kwargs: Any) -> None:
        raise Boom("after the save")

    for model in (Client, Project):
        post_save.connect(fail, sender=model, dispatch_uid=f"test-fail-{model.__name__}")
    yield
    for model in (Client, Project):
        post_save.disconnect(sender=model, dispatch_uid=f"test-fail-{model.__name__}")


def _post(http: Any, url: str, data: dict[str, Any]) -> Any:
    http.raise_request_exception = False
    return http.post(url, data)


CLIENT_DATA = {"name": "Atelier Nord", "language": "fr", "status": "active", "cadence_days": "7"}


def test_a_new_client_is_not_stored_when_the_request_fails_after_the_save(
    alice_client: Any, failing_after_save: None
) -> None:
    response = _post(alice_client, reverse("web:client_new"), CLIENT_DATA)
    assert response.status_code == 500
    assert not Client.objects.filter(name="Atelier Nord").exists()


def test_a_client_edit_is_rolled_back_when_the_request_fails_after_the_save(
    alice_client: Any, alice: Any, failing_after_save: None
) -> None:
    rita = Client.objects.bulk_create([Client(owner=alice, name="Rita", cadence_days=7)])[0]
    edit = alice_client.get(reverse("web:client_edit", kwargs={"client_id": rita.pk})).context["form"]
    data = {**CLIENT_DATA, "name": "Rita renamed", **_hidden(edit)}
    response = _post(alice_client, reverse("web:client_edit", kwargs={"client_id": rita.pk}), data)
    assert response.status_code == 500
    assert Client.objects.get(pk=rita.pk).name == "Rita"


def test_a_new_project_is_not_stored_when_the_request_fails_after_the_save(
    alice_client: Any, alice: Any, failing_after_save: None
) -> None:
    rita = Client.objects.bulk_create([Client(owner=alice, name="Rita", cadence_days=7)])[0]
    data = {"client": rita.pk, "title": "Refonte", "status": "active", "currency": "EUR"}
    response = _post(alice_client, reverse("web:project_new", kwargs={"client_id": rita.pk}), data)
    assert response.status_code == 500
    assert not Project.objects.exists()


def test_a_project_edit_is_rolled_back_when_the_request_fails_after_the_save(
    alice_client: Any, alice: Any
) -> None:
    rita = make_client(alice)
    project = make_project(rita, title="Refonte")
    url = reverse("web:project_edit", kwargs={"project_id": project.pk})
    edit = alice_client.get(url).context["form"]

    def fail(**kwargs: Any) -> None:
        raise Boom("after the save")

    post_save.connect(fail, sender=Project, dispatch_uid="test-fail-project-edit")
    try:
        data = {"client": rita.pk, "title": "Renamed", "status": "active", "currency": "EUR", **_hidden(edit)}
        response = _post(alice_client, url, data)
    finally:
        post_save.disconnect(sender=Project, dispatch_uid="test-fail-project-edit")
    assert response.status_code == 500
    assert Project.objects.get(pk=project.pk).title == "Refonte"


def _hidden(form: Any) -> dict[str, Any]:
    """Return the hidden fields a drawn form carries (its concurrency and idempotency tokens, if any)."""
    return {field.html_name: field.value() for field in form.hidden_fields() if field.value() is not None}


class TransactionRecordingBackend(locmem.EmailBackend):
    """Django's test mail backend, noting whether each send happened inside a database transaction."""

    inside: ClassVar[list[bool]] = []

    def send_messages(self, messages: Any) -> int:
        self.inside.append(connection.in_atomic_block)
        return super().send_messages(messages)


@pytest.mark.django_db(transaction=True)
def test_the_password_reset_sends_its_email_outside_a_transaction(client: Any, settings: Any) -> None:
    """It only reads and sends: on SQLite a request-long transaction would hold the write lock while the mail
    server answers (every other post is wrapped, see the rollback tests above)."""
    make_user("carol")
    settings.EMAIL_BACKEND = f"{__name__}.TransactionRecordingBackend"
    TransactionRecordingBackend.inside.clear()
    client.post(reverse("password_reset"), {"email": "carol@example.com"})
    assert TransactionRecordingBackend.inside == [False]

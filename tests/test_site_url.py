"""SITE_URL in development: without it, links in emails follow the address the app is served on."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client as Browser

from config.site import site_url
from crm.reminders.emails import absolute

pytestmark = pytest.mark.django_db


@pytest.fixture
def development(settings: Any, tmp_path: Any) -> Any:
    settings.DEBUG = True
    settings.SITE_URL_FROM_ENVIRONMENT = False
    settings.SITE_URL = "http://127.0.0.1:8000"
    settings.VAR_DIR = tmp_path
    settings.ALLOWED_HOSTS = ["*"]
    return settings


def test_links_follow_the_port_the_server_was_reached_on(development: Any) -> None:
    assert absolute("/x/") == "http://127.0.0.1:8000/x/"  # before any request: the default
    Browser().get("/accounts/login/", HTTP_HOST="127.0.0.1:8117")
    # What a worker process reads when it sends the digest: the file, not this process's memory.
    assert (development.VAR_DIR / "site-url").read_text() == "http://127.0.0.1:8117"
    assert absolute("/promises/") == "http://127.0.0.1:8117/promises/"
    Browser().get("/accounts/login/", HTTP_HOST="192.168.1.20:8117")
    assert site_url() == "http://192.168.1.20:8117"


def test_a_site_url_set_in_the_environment_wins(development: Any) -> None:
    development.SITE_URL_FROM_ENVIRONMENT = True
    development.SITE_URL = "https://confiance.example"
    Browser().get("/accounts/login/", HTTP_HOST="127.0.0.1:8117")
    assert not (development.VAR_DIR / "site-url").exists()
    assert absolute("/x/") == "https://confiance.example/x/"


def test_production_never_follows_requests(settings: Any, tmp_path: Any) -> None:
    settings.DEBUG = False
    settings.SITE_URL_FROM_ENVIRONMENT = False
    settings.VAR_DIR = tmp_path
    (tmp_path / "site-url").write_text("http://evil.example")
    assert site_url() == settings.SITE_URL

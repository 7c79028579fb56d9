"""Issue 25 in a real browser: two-factor authentication turned on in Settings, then a login with the password and
a code the test computes from the key the page shows (as an authenticator app would), a recovery code that works
once, and staff without a second factor held on its set-up. The page's content security policy is enforced
throughout and the browser reports no violation."""

from __future__ import annotations

from base64 import b32decode
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth import get_user_model

from tests.conftest import chromium_path, require_service
from tests.factories import PASSWORD, authenticator_code
from tests.web.test_browser import CHROMIUM_ARGS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def strict_page(live_server: Any) -> Iterator[Any]:
    """A Chromium page with the site's content security policy enforced (not bypassed)."""
    require_service(chromium_path() is not None, "Debian chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900}, bypass_csp=False)
        page.set_default_timeout(10_000)
        yield page
        browser.close()


def code_from(secret: str, ahead: int = 0) -> str:
    """Return the six-digit code an authenticator app shows for `secret` (base32, spaced), `ahead` steps on."""
    key = secret.replace(" ", "")
    key += "=" * (-len(key) % 8)
    return authenticator_code(b32decode(key), ahead)


def _password_step(page: Any, live_server: Any, username: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_load_state()


def _log_out(page: Any) -> None:
    page.click("header button:has-text('Log out')")
    page.wait_for_selector("#id_username")


def test_two_factor_login_with_a_computed_code_and_a_recovery_code_once(
    strict_page: Any,
    live_server: Any,
    alice: Any,
) -> None:
    page = strict_page
    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security" in m.text else None)

    # 1. Turn it on in Settings: scan (here: read) the key, type the app's code, keep the recovery codes.
    _password_step(page, live_server, "alice")
    page.wait_for_selector("#board")
    page.goto(f"{live_server.url}/accounts/profile/")
    page.click("main a:has-text('Two-factor authentication')")
    page.click("main a:has-text('Turn on two-factor authentication')")
    assert page.locator(".qr svg").count() == 1
    secret = page.inner_text("#totp-secret")
    page.fill("#id_code", code_from(secret))
    page.click("main button:has-text('Turn on')")
    page.wait_for_selector("#recovery-codes")
    codes = [code.strip() for code in page.locator("#recovery-codes code").all_inner_texts()]
    assert len(codes) == 10
    _log_out(page)

    # 2. The password alone is half a login: every page waits for the code.
    _password_step(page, live_server, "alice")
    assert "/accounts/two-factor/verify/" in page.url
    page.goto(f"{live_server.url}/clients/")
    assert "/accounts/two-factor/verify/" in page.url
    # The code of the next period: the one typed at set-up cannot be used twice (django-otp refuses replays).
    page.fill("#id_code", code_from(secret, ahead=1))
    page.click("main button[type=submit]")
    page.wait_for_selector("h1")
    assert "/clients/" in page.url  # where the login was going
    _log_out(page)

    # 3. A recovery code instead of the app's code, once.
    _password_step(page, live_server, "alice")
    page.fill("#id_code", codes[0])
    page.click("main button[type=submit]")
    page.wait_for_selector("#board")
    _log_out(page)
    _password_step(page, live_server, "alice")
    page.fill("#id_code", codes[0])
    page.click("main button[type=submit]")
    page.wait_for_selector(".errorlist")
    assert "This code is not valid" in page.inner_text(".errorlist")
    assert "/accounts/two-factor/verify/" in page.url
    assert violations == []


def test_staff_without_a_second_factor_are_sent_to_set_it_up(
    strict_page: Any, live_server: Any, db: None
) -> None:
    page = strict_page
    get_user_model().objects.create_user("root", "root@example.com", PASSWORD, is_staff=True)
    _password_step(page, live_server, "root")
    assert "/accounts/two-factor/setup/" in page.url
    assert "Staff accounts need two-factor authentication" in page.inner_text("main")
    for elsewhere in ("/", "/admin/", "/accounts/profile/"):
        page.goto(f"{live_server.url}{elsewhere}")
        assert "/accounts/two-factor/setup/" in page.url, elsewhere
    secret = page.inner_text("#totp-secret")
    page.fill("#id_code", code_from(secret))
    page.click("main button:has-text('Turn on')")
    page.wait_for_selector("#recovery-codes")
    page.goto(f"{live_server.url}/admin/")
    assert "/admin/" in page.url and "two-factor" not in page.url

"""Take the README's screenshots: dashboard and a client workspace, desktop and phone, English and French.

Run against a server showing the demo book (`make run` in another terminal, or any URL):

    .venv/bin/python docs/screenshots/take.py --base http://127.0.0.1:8000

It logs in as the demo freelancer, switches the language in the settings page, and writes
docs/screenshots/{dashboard,workspace}-{en,fr}-{desktop,phone}.png, then, on the worst client's timeline, a
promise edited in place (inline-edit-{en,fr}.png) and the toast offering to undo "Kept"
(undo-toast-{en,fr}.png); the promise is put back as it was (Escape, then Undo), so the book is left unchanged.
`--only api`: Settings → API tokens with a new token shown once (api-tokens-{en,fr}.png, the token revoked
afterwards) and the API's interactive docs (api-docs.png).
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

HERE = Path(__file__).resolve().parent
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SIZES = {"desktop": (1280, 900), "phone": (375, 812)}


def log_in(page: Page, base: str, username: str, password: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/$"))


def set_language(page: Page, base: str, language: str) -> None:
    page.goto(f"{base}/accounts/profile/")
    page.select_option("#id_language", language)
    page.click("main button[type=submit]")
    page.wait_for_load_state()


def edit_and_undo(page: Page, base: str, language: str) -> None:
    """Screenshot an open promise edited in place in its client's timeline, then the undo toast after marking
    it kept; undo it."""
    page.set_viewport_size({"width": 1280, "height": 900})
    # The soonest due open promise, in its client's workspace.
    page.goto(f"{base}/promises/")
    first = page.locator("#results li.event-promise").first
    item_id = first.get_attribute("id")
    page.goto(base + first.locator("a.event-client").get_attribute("href"))
    page.locator(f"#timeline #{item_id} .edit-link").click()
    editing = page.locator(f"#{item_id}.event-editing")
    editing.wait_for()
    editing.scroll_into_view_if_needed()
    editing.locator("textarea, input[type=text]").first.focus()
    shot(page, f"inline-edit-{language}.png")
    page.keyboard.press("Escape")
    page.locator(f"#{item_id}:not(.event-editing)").wait_for()
    page.locator(f"#{item_id} button.ok").click()
    toast = page.locator("#toasts [data-toast]")
    toast.wait_for()
    toast.locator("button.undo").focus()  # as a keyboard user reaches it
    shot(page, f"undo-toast-{language}.png")
    toast.locator("button.undo").click()
    page.locator(f"#{item_id} button.ok").wait_for()  # open again, as the demo book had it


def api_pages(page: Page, base: str, language: str) -> None:
    """Screenshot Settings → API tokens just after a token was made (its value shown once), then revoke that
    token so the demo book keeps no live one; and, in English, the API's interactive docs."""
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{base}/settings/api-tokens/")
    page.fill("#id_name", "Script de facturation" if language == "fr" else "Invoicing script")
    page.select_option("#id_scope", "write")
    page.click("main form button[type=submit]")
    page.locator("#new-token").wait_for()
    page.screenshot(path=str(HERE / f"api-tokens-{language}.png"), full_page=True)
    print(f"docs/screenshots/api-tokens-{language}.png")
    page.locator("main table form button").first.click()
    page.wait_for_load_state()
    if language == "en":
        page.goto(f"{base}/api/docs")
        page.locator(".swagger-ui .opblock").first.wait_for()
        shot(page, "api-docs.png")


def shot(page: Page, name: str) -> None:
    path = HERE / name
    page.screenshot(path=str(path))
    print(path.relative_to(HERE.parent.parent))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="http://127.0.0.1:8000")
    parser.add_argument("--username", default="demo")
    parser.add_argument("--password", default="confiance-demo")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument(
        "--only",
        choices=["pages", "edit-undo", "api"],
        help="take only the pages, only the inline edit and undo toast, or only the API's token page and docs",
    )
    args = parser.parse_args()
    base = args.base.rstrip("/")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=args.chromium, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        log_in(page, base, args.username, args.password)
        # The workspace shown is the worst client's: the first row of the dashboard.
        page.goto(f"{base}/")
        workspace = base + page.locator("table.clients tbody th a").first.get_attribute("href")
        for language in ("en", "fr"):
            set_language(page, base, language)
            if args.only == "api":
                api_pages(page, base, language)
                continue
            for size, (width, height) in SIZES.items() if args.only != "edit-undo" else ():
                page.set_viewport_size({"width": width, "height": height})
                for name, url in (("dashboard", f"{base}/"), ("workspace", workspace)):
                    page.goto(url)
                    path = HERE / f"{name}-{language}-{size}.png"
                    page.screenshot(path=str(path), full_page=size == "desktop")
                    print(path.relative_to(HERE.parent.parent))
            if args.only != "pages":
                edit_and_undo(page, base, language)
        set_language(page, base, "en")
        browser.close()


if __name__ == "__main__":
    main()

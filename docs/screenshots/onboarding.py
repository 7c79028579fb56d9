"""Take issue 14's screenshots: the first run, the guide and the phone dashboard, light and dark, en and fr.

Run against a server (any book; it signs up two new freelancers, one per language):

    .venv/bin/python docs/screenshots/onboarding.py --base http://127.0.0.1:8000

For each language, a browser speaking it signs up (the account takes its language), and this writes
docs/screenshots/onboarding-first-run-{en,fr}.png (the empty dashboard: the three ways to start),
onboarding-new-client-{en,fr}.png (a first client with its project and cadence), then explores the sample book:
phone-dashboard-{en,fr}-{light,dark}.png at 390×844, guide-{en,fr}.png, and the guide's own picture of a
client's score panel, static/guide/{en,fr}-workspace.png. The sample book is removed at the end.
"""

from __future__ import annotations

import argparse
import secrets
from pathlib import Path

from playwright.sync_api import Browser, Page, sync_playwright

HERE = Path(__file__).resolve().parent
GUIDE_PICTURES = HERE.parent.parent / "static" / "guide"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
LOCALES = {"en": "en-GB", "fr": "fr-FR"}
DESKTOP = {"width": 1100, "height": 760}
PHONE = {"width": 390, "height": 844}


def shot(page: Page, path: Path, **options: object) -> None:
    page.wait_for_load_state()
    page.screenshot(path=str(path), animations="disabled", **options)
    print(path.relative_to(HERE.parent.parent), f"{path.stat().st_size // 1024} KB")


def sign_up(browser: Browser, base: str, language: str) -> tuple[str, str]:
    username, password = f"shots-{language}-{secrets.token_hex(3)}", secrets.token_urlsafe(16)
    page = browser.new_page(locale=LOCALES[language], viewport=DESKTOP)
    page.goto(f"{base}/accounts/signup/")
    page.fill("#id_username", username)
    page.fill("#id_email", f"{username}@example.com")
    page.fill("#id_password1", password)
    page.fill("#id_password2", password)
    page.click("main button[type=submit]")
    page.wait_for_selector(".first-run")
    shot(page, HERE / f"onboarding-first-run-{language}.png")
    page.goto(f"{base}/clients/new/")
    page.fill("#id_name", "Boulangerie Roux")
    page.fill("#id_project_title", "Site vitrine" if language == "fr" else "Shop website")
    page.fill("#id_cadence_days", "14")
    shot(page, HERE / f"onboarding-new-client-{language}.png")
    page.context.close()
    return username, password


def explore(browser: Browser, base: str, language: str, username: str, password: str) -> None:
    for scheme in ("light", "dark"):
        page = browser.new_page(locale=LOCALES[language], viewport=PHONE, color_scheme=scheme)
        page.goto(f"{base}/accounts/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", password)
        page.click("main button[type=submit]")
        page.wait_for_selector("#board")
        if page.locator(".first-run button[type=submit]").count():
            page.click(".first-run-paths button[type=submit]")  # explore the sample book
            page.wait_for_selector(".sample-note")
        shot(page, HERE / f"phone-dashboard-{language}-{scheme}.png")
        if scheme == "light":
            page.set_viewport_size(DESKTOP)
            page.goto(f"{base}/guide/")
            shot(page, HERE / f"guide-{language}.png")
            page.goto(f"{base}/")
            page.goto(base + page.locator("table.clients tbody th a").first.get_attribute("href"))
            shot(page, GUIDE_PICTURES / f"{language}-workspace.png", clip=_panel(page))
            page.goto(f"{base}/")
            page.click(".sample-note button")  # remove the sample book
            page.wait_for_selector(".first-run")
        page.context.close()


def _panel(page: Page) -> dict[str, float]:
    box = page.locator("#score-panel").bounding_box()
    return {"x": box["x"], "y": box["y"], "width": box["width"], "height": min(box["height"], 520)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="http://127.0.0.1:8000")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args()
    base = args.base.rstrip("/")
    GUIDE_PICTURES.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=args.chromium, args=CHROMIUM_ARGS)
        for language in LOCALES:
            username, password = sign_up(browser, base, language)
            explore(browser, base, language, username, password)
        browser.close()


if __name__ == "__main__":
    main()

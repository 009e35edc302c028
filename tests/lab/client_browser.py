"""The panel in Debian's Chromium on the lab's client host (Playwright, the project's .venv):

    .venv/bin/python client_browser.py '{"host": ..., "username": ..., ...}'   ->  JSON on stdout

Chromium accepts the server's certificate only if its public key is the one given ("spki", the
base64 SHA-256 of mx's key): it trusts nothing else, so a page that loads proves the
certificate is the lab's. The first superadmin signs in, turns on the second factor, creates a
domain and a mailbox; screenshots go to the folder given.
"""
import base64
import hashlib
import hmac
import json
import struct
import sys
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--disable-default-apps", "--disable-extensions"]


def totp(secret):
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    digest = hmac.new(key, struct.pack(">Q", int(time.time()) // 30), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    return f"{(struct.unpack('>I', digest[offset:offset + 4])[0] & 0x7FFFFFFF) % 1_000_000:06d}"


def submit(page, button):
    with page.expect_navigation():
        page.get_by_role("button", name=button).click()


def run(host, spki, username, password, domain, local_part, mailbox_password, screenshots):
    found = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                             args=[*ARGS, f"--ignore-certificate-errors-spki-list={spki}"])
        page = browser.new_context().new_page()
        page.set_default_timeout(20_000)
        response = page.goto(f"http://{host}/")
        found["url"] = page.url
        found["hsts"] = response.headers.get("strict-transport-security")
        page.screenshot(path=f"{screenshots}/lab-login.png")

        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(password)
        submit(page, "Sign in")
        found["after_sign_in"] = page.url
        page.get_by_label("Code").fill(totp(page.locator("#totp-secret").inner_text().strip()))
        submit(page, "Turn on")
        with page.expect_navigation():
            page.get_by_role("link", name="Continue").click()

        page.get_by_role("link", name="New domain").click()
        page.get_by_label("Name").fill(domain)
        submit(page, "Create domain")
        found["domain_created"] = page.get_by_text(f"The domain {domain} was created.").is_visible()
        page.get_by_role("link", name="New mailbox").click()
        page.get_by_label("Address").fill(local_part)
        page.get_by_label("Password").fill(mailbox_password)
        submit(page, "Create")
        found["mailbox_created"] = page.get_by_text(f"The mailbox {local_part}@{domain} was created.").is_visible()
        page.screenshot(path=f"{screenshots}/lab-mailbox-created.png", full_page=True)
        browser.close()
    return found


if __name__ == "__main__":
    arguments = json.loads(sys.argv[1])
    Path(arguments["screenshots"]).mkdir(parents=True, exist_ok=True)
    print(json.dumps(run(**arguments)))

"""Roundcube at https://<host>/webmail/ in Debian's Chromium on the lab's client host:

    .venv/bin/python client_webmail.py '{"host": ..., "spki": ..., "user": ..., ...}'   ->  JSON on stdout

As client_browser.py, Chromium accepts only the certificate whose public key is given. The
mailbox owner logs in, finds the message with the subject given in the inbox and opens it,
then changes the password in Roundcube's settings (its password plugin calls the panel).
"""
import json
import sys
from pathlib import Path

from client_browser import ARGS, CHROMIUM  # beside this script: run as a script from its folder
from playwright.sync_api import sync_playwright


def run(host, spki, user, password, subject, new_password, screenshots):
    found = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                             args=[*ARGS, f"--ignore-certificate-errors-spki-list={spki}"])
        page = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
        page.set_default_timeout(20_000)
        page.goto(f"https://{host}/webmail/")
        page.locator("#rcmloginuser").fill(user)
        page.locator("#rcmloginpwd").fill(password)
        with page.expect_navigation():
            page.locator("#rcmloginsubmit").click()
        found["after_login"] = page.url
        page.wait_for_load_state("networkidle")  # Roundcube's scripts ready: a click before is lost
        page.locator("#messagelist").get_by_text(subject).click()
        body = page.frame_locator("#messagecontframe").locator("#messagebody")
        body.wait_for()
        found["body"] = body.inner_text()
        page.screenshot(path=f"{screenshots}/lab-webmail-message.png")

        page.get_by_role("button", name="Settings").click()
        page.get_by_text("Password", exact=True).click()
        page.get_by_label("Current Password").fill(password)
        page.get_by_label("New Password:", exact=True).fill(new_password)
        page.get_by_label("Confirm New Password").fill(new_password)
        page.get_by_role("button", name="Save").click()
        page.get_by_text("Successfully saved.").wait_for()
        found["password_saved"] = True
        browser.close()
    return found


if __name__ == "__main__":
    arguments = json.loads(sys.argv[1])
    Path(arguments["screenshots"]).mkdir(parents=True, exist_ok=True)
    print(json.dumps(run(**arguments)))

"""The superadmins' status page: services, queues, certificate, disk and the last backup, as the
bundled stack really is (docs/metrics.md#the-status-page)."""
import json
import re
import shutil
import subprocess

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client

from mailstack.config import paths
from mailstack.daemons import Dovecot
from tests.signin import sign_in_with_second_factor

pytestmark = [pytest.mark.stack, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def no_backup_yet(settings, tmp_path):
    settings.VAR_DIR = tmp_path  # where the backup command would write its status file
    return tmp_path


def section(page: str, element_id: str) -> str:
    found = re.search(rf'id="{element_id}"[^>]*>(.*?)</(?:table|p)>', page, re.DOTALL)
    assert found, element_id
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found.group(1))).strip()


def test_a_superadmin_sees_the_server_at_a_glance(admin_client, no_backup_yet):
    home = admin_client.get("/").content.decode()
    assert 'href="/status/">Status</a>' in home
    page = admin_client.get("/status/").content.decode()
    services = section(page, "services")
    for part in ("database", "postfix", "dovecot", "spamd", "spamass-milter"):
        assert f"{part} up" in services
    assert re.search(r"active \d+ deferred \d+ hold \d+", section(page, "queues"))
    expiry = subprocess.run(["openssl", "x509", "-enddate", "-noout", "-in", str(paths().tls / "cert.pem")],
                            capture_output=True, text=True, check=True).stdout
    month, day, _, year = expiry.removeprefix("notAfter=").split()[:4]
    assert re.search(rf"Valid until {year}-\d\d-{int(day):02d}", section(page, "certificate")), (expiry, page)
    disk = shutil.disk_usage(settings.MAILSTACK["vmail_dir"])
    assert f"({round(100 * disk.used / disk.total)}%)" in section(page, "disk")
    assert section(page, "backup") == "No backup yet."


def test_a_stopped_daemon_shows_down(admin_client):
    dovecot = Dovecot()
    dovecot.stop()
    try:
        page = admin_client.get("/status/").content.decode()
    finally:
        dovecot.start()
    assert "dovecot down connection refused" in section(page, "services")
    assert "postfix up" in section(page, "services")


def test_the_last_backup_written_by_the_backup_command_is_shown(admin_client, no_backup_yet):
    status_file = no_backup_yet / "backup-status.json"
    status_file.write_text(json.dumps({"finished": "2026-11-29T03:00:12+00:00", "result": "failed",
                                       "detail": "the repository is full"}))
    assert "Last backup 2026-11-29 03:00: failed the repository is full" in section(
        admin_client.get("/status/").content.decode(), "backup")
    status_file.write_text("{not json")
    assert "backup-status.json cannot be read" in section(admin_client.get("/status/").content.decode(), "backup")


def test_a_domain_admin_neither_sees_the_link_nor_gets_the_page():
    admin = get_user_model().objects.create_user("dora", password="a long enough password")
    client = sign_in_with_second_factor(Client(), admin)
    assert b"/status/" not in client.get("/").content
    assert client.get("/status/").status_code == 404
    assert Client().get("/status/").status_code == 302  # to the sign-in page

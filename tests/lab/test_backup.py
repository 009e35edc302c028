"""A backup of the installed mx, as an operator makes one (`./mailctl backup`), restored after
mx's database and mail folders are wiped and it is installed afresh: every message (count and
content hash per folder), every password, the alias, the audit log and the API key are back;
mail sent while the restore runs is queued by remote and delivered after it."""
import json
from concurrent.futures import ThreadPoolExecutor

from tests.lab.hosts import CHECKOUT
from tests.lab.mail import bounces, client_mail, create_mailbox, manage, new_subject, remote_send
from tests.lab.waiting import wait_until

FOLDERS = ["INBOX", "Junk", "Archive/2026"]
CAROL_PASSWORD = "carol's lab password"


def shell(mx, code):
    done = manage(mx, "shell", input=code)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def arrived(mx, user, password, subject):
    return subject in client_mail(mx, "imap_subjects", user=user, password=password)


def folders(mx, user, password):
    return client_mail(mx, "imap_folders", user=user, password=password, folders=FOLDERS)


def api_answer(mx, key):
    """The status of GET /api/v1/domains/ with the key, asked at the panel's socket on mx."""
    return mx.mx.run("curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "--unix-socket", "/run/mailadmin.sock",
                     "-H", "X-Forwarded-Proto: https", "-H", f"Authorization: Bearer {key}",
                     "http://mx.example.net/api/v1/domains/", check=False).stdout


def postfix_active(mx):
    return mx.mx.run("systemctl", "is-active", "--quiet", "postfix@-.service", check=False).returncode == 0


def audit_log(mx):
    return shell(mx, "from domains.models import AuditEntry\n"
                     "print(list(AuditEntry.objects.order_by('pk').values_list('action', 'object_repr')))")


def test_a_backup_restores_mx_after_its_data_is_wiped_and_it_is_installed_afresh(mx, mailbox):
    carol = create_mailbox(mx, "example.org", "carol", CAROL_PASSWORD)
    key = shell(mx, """
from api.services import api_key_create
from domains import services
from domains.audit import Actor
from domains.models import Domain
actor = Actor.command("lab")
services.alias_create(actor=actor, domain=Domain.objects.get(name="example.org"), source="team@example.org",
                      destinations=["carol@example.org"])
print(api_key_create(actor=actor, name="billing", all_domains=True, domains=[], read_only=True,
                     allowed_actions=[], expires=None)[1])
""").splitlines()[-1]
    subjects = [new_subject(f"before the backup {number}") for number in range(3)]
    for subject in subjects:
        remote_send(mx, carol, subject)
    wait_until(lambda: all(arrived(mx, carol, CAROL_PASSWORD, subject) for subject in subjects), 60,
               "carol's mail from remote")
    for folder in ("Junk", "Archive/2026"):
        client_mail(mx, "imap_file", user=carol, password=CAROL_PASSWORD, folder=folder, count=2)
    before = {carol: folders(mx, carol, CAROL_PASSWORD), mailbox.address: folders(mx, *vars(mailbox).values())}
    assert before[carol]["INBOX"][0] == 3 and before[carol]["Junk"][0] == before[carol]["Archive/2026"][0] == 2
    audit = audit_log(mx)
    assert api_answer(mx, key) == "200"
    assert mx.mx.run("systemctl", "is-enabled", "mailadmin-backup.timer").stdout.strip() == "enabled"

    done = mx.mx.run("./mailctl", "backup", cwd=str(CHECKOUT), timeout=300, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    status = json.loads(mx.mx.path("/var/lib/mailadmin/backup-status.json").read_text())
    assert status["ok"] and status["error"] is None and status["archive"] in done.stdout

    # Wiped: the database dropped, the mail folders emptied; then installed afresh.
    mx.mx.run("systemctl", "stop", "mailadmin.socket", "mailadmin.service", "mailadmin-mailstore.service")
    mx.mx.run("mariadb", "-e", "DROP DATABASE mailadmin")
    mx.mx.run("sh", "-c", "rm -rf /var/vmail/* /var/vmail/.[!.]*")
    mx.install_mx({})
    assert not client_mail(mx, "imap_login", user=carol, password=CAROL_PASSWORD)["ok"]
    assert api_answer(mx, key) == "401"

    bounced_before = bounces(mx)
    restoring = ThreadPoolExecutor(max_workers=1).submit(
        mx.mx.run, "./mailctl", "restore", cwd=str(CHECKOUT), timeout=300, check=False)
    wait_until(lambda: not postfix_active(mx) or restoring.done(), 60, "Postfix stopped by the restore")
    assert not restoring.done(), "the restore ended before Postfix was seen stopped"
    during = [new_subject(f"during the restore {number}") for number in range(3)]
    for subject in during:
        remote_send(mx, mailbox.address, subject)  # queued by remote while mx's Postfix is stopped
    done = restoring.result(timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"restored {status['archive']}" in done.stdout

    assert folders(mx, carol, CAROL_PASSWORD) == before[carol]
    mx.remote.run("postqueue", "-f")
    wait_until(lambda: all(arrived(mx, *vars(mailbox).values(), subject) for subject in during), 120,
               "the mail remote queued during the restore")
    alice = folders(mx, *vars(mailbox).values())
    assert alice["INBOX"][0] == before[mailbox.address]["INBOX"][0] + len(during)
    assert {folder: alice[folder] for folder in FOLDERS[1:]} == {
        folder: before[mailbox.address][folder] for folder in FOLDERS[1:]}
    assert bounces(mx) == bounced_before, "nothing bounced"
    assert client_mail(mx, "imap_login", user=carol, password=CAROL_PASSWORD)["ok"]
    assert not client_mail(mx, "imap_login", user=carol, password=mailbox.password)["ok"]
    to_team = new_subject("to the alias after the restore")
    remote_send(mx, "team@example.org", to_team)
    mx.remote.run("postqueue", "-f")
    wait_until(lambda: arrived(mx, carol, CAROL_PASSWORD, to_team), 60, "the alias's mail at carol")
    assert audit_log(mx).startswith(audit.removesuffix("]"))
    wait_until(lambda: api_answer(mx, key) == "200", 30, "the API key authenticating")
    owner = mx.mx.run("stat", "-c", "%U", "/var/vmail/example.org/carol/Maildir/cur").stdout.strip()
    assert owner == "vmail"

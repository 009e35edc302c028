"""Import and export: `manage.py export` then `manage.py import` into an empty database gives the
same database; bad files are refused whole, with every problem and its line."""
import csv
import json
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from domains import passwords, services
from domains.models import Alias, AuditEntry, Domain, Mailbox
from tests.conftest import PASSWORD

GIB = 2**30
HASH = passwords.hash_password("imported password 1", "SHA512-CRYPT")


def snapshot():
    """Everything the daemons and the panel read, without ids and timestamps."""
    return (
        list(Domain.objects.order_by("name").values_list(
            "name", "description", "active", "max_mailboxes", "max_aliases", "default_quota", "max_quota",
            "quota_total", "spam_threshold")),
        list(Mailbox.objects.order_by("email").values_list(
            "email", "domain__name", "password", "quota", "active", "display_name", "spam_threshold", "maildir")),
        list(Alias.objects.order_by("source", "destination").values_list("source", "destination", "domain__name")),
    )


@pytest.fixture
def mail_system(mail_domain):
    example = mail_domain("example.org")
    actor = example.actor
    services.domain_update(actor=actor, domain=example.domain, description="=HYPERLINK(\"http://evil.example\")",
                           max_mailboxes=50, max_aliases=40, default_quota=GIB, max_quota=4 * GIB,
                           quota_total=40 * GIB, spam_threshold="6.5")
    example.mailbox("anna", display_name="@home +1 -2", quota=3 * GIB, spam_threshold="4.5")
    old = example.mailbox("ben")
    services.mailbox_rename(actor=actor, mailbox=old, local_part="benjamin")  # keeps its folder
    paused = example.mailbox("paused")
    services.mailbox_update(actor=actor, mailbox=paused, active=False)
    example.alias("team", "anna@example.org", "friend@remote.test")
    example.alias("", "anna@example.org")
    example.alias("-list", "'quoted@remote.test")
    off = mail_domain("off.example")
    off.mailbox("kim")
    services.domain_update(actor=actor, domain=off.domain, active=False)
    return snapshot()


@pytest.mark.parametrize("file_format", ["csv", "json"])
def test_export_then_import_into_an_empty_database_gives_the_same_database(mail_system, file_format, tmp_path):
    exported = tmp_path / f"mail.{file_format}"
    call_command("export", "--format", file_format, "--output", str(exported))
    assert Mailbox.objects.get(email="benjamin@example.org").maildir == "example.org/ben"
    assert exported.stat().st_mode & 0o777 == 0o600  # it holds password hashes
    Domain.objects.all().delete()
    assert snapshot() == ([], [], [])

    call_command("import", str(exported))
    assert snapshot() == mail_system
    again = tmp_path / f"again.{file_format}"
    call_command("export", "--format", file_format, "--output", str(again))
    assert again.read_text() == exported.read_text()
    assert AuditEntry.objects.filter(actor_label="command:import", action="mailbox.create").count() == 4


def test_csv_cells_that_would_start_a_formula_are_neutralised_and_read_back(mail_system, tmp_path):
    exported = tmp_path / "mail.csv"
    call_command("export", "--output", str(exported))
    cells = [cell for row in csv.reader(exported.open()) for cell in row]
    assert "'=HYPERLINK(\"http://evil.example\")" in cells
    assert "'@home +1 -2" in cells
    assert "'@example.org" in cells           # a catch-all source
    assert "'-list@example.org" in cells
    assert "''quoted@remote.test" in cells   # a leading ' is doubled, so it reads back as it was
    assert not [cell for cell in cells if cell[:1] in ("=", "+", "-", "@", "\t", "\r")]
    Domain.objects.all().delete()
    call_command("import", str(exported))
    assert Domain.objects.get(name="example.org").description == "=HYPERLINK(\"http://evil.example\")"
    assert Alias.objects.get(source="-list@example.org").destination == "'quoted@remote.test"


@pytest.mark.parametrize("cell", ["+1 555 0100", "=1+1", "-2", "@SUM(A1)", "\tx", "\rx", "'quoted", "plain"])
def test_each_formula_start_is_neutralised_and_read_back_as_it_was(cell):
    from domains.transfer.formats import _unneutralise, neutralise

    written = neutralise(cell)
    assert written[:1] not in ("=", "+", "-", "@", "\t", "\r")
    assert _unneutralise(written) == cell


BAD_CSV = f"""kind,address,destinations,password,password_hash,quota,max_mailboxes
domain,new.example,,,,,
domain,example.org,,,,,
mailbox,ok@new.example,,,{HASH},,
mailbox,weak@new.example,,short,,,
mailbox,hashed@new.example,,,{{MD5}}1234,,
mailbox,ok@new.example,,,{HASH},,
mailbox,someone@nowhere.example,,,{HASH},,
mailbox,taken@example.org,,,{HASH},,
mailbox,big@new.example,,,{HASH},lots,
alias,team@new.example,"a@x.example,b@x.example",,,,
alias,loop@new.example,loop2@new.example,,,,
alias,loop2@new.example,loop@new.example,,,,
robot,x@new.example,,,,,
domain,bad..example,,,,,
"""


@pytest.mark.parametrize("dry_run", [True, False])
def test_a_bad_file_is_refused_whole_with_every_problem_and_its_line(mail_domain, tmp_path, capsys, dry_run):
    example = mail_domain("example.org")
    example.mailbox("taken")
    before = snapshot()
    path = tmp_path / "bad.csv"
    path.write_text(BAD_CSV)
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import", str(path), *(["--dry-run"] if dry_run else []))
    report = capsys.readouterr().err
    expected = {3: "exists already", 5: "", 6: "known {SCHEME}", 7: "twice", 8: "no domain nowhere.example",
                9: "taken@example.org exists already", 10: "whole number", 11: "", 12: "loop", 14: "kind must be",
                15: ""}
    by_line = {}
    for entry in report.splitlines():
        if "bad.csv, line " in entry:
            line, message = entry.split("bad.csv, line ", 1)[1].split(": ", 1)
            by_line.setdefault(int(line), []).append(message)
    assert set(by_line) == set(expected) | {13}, report
    for line, words in expected.items():
        assert any(words in message for message in by_line[line]), (line, by_line[line])
    assert snapshot() == before
    assert not AuditEntry.objects.filter(actor_label="command:import").exists()


def test_a_partial_import_keeps_the_valid_records_and_reports_the_others(mail_domain, tmp_path, capsys):
    mail_domain("example.org").mailbox("taken")
    path = tmp_path / "bad.csv"
    path.write_text(BAD_CSV)
    with pytest.raises(CommandError, match="imported the rest: 1 domains, 1 mailboxes, 0 aliases"):
        call_command("import", str(path), "--partial")
    assert "bad.csv, line 12: The alias loop@new.example would forward to itself" in capsys.readouterr().err
    assert list(Mailbox.objects.filter(domain__name="new.example").values_list("email", flat=True)) == [
        "ok@new.example"]
    assert not Alias.objects.filter(domain__name="new.example").exists()


def test_json_problems_name_the_line_each_entry_starts_on(mail_domain, tmp_path, capsys):
    mail_domain("example.org")
    document = {"domains": [], "mailboxes": [
        {"address": "one@example.org", "password_hash": HASH},
        {"address": "two@example.org", "password": PASSWORD, "quota": "many"},
        {"address": "three@example.org", "password": PASSWORD, "spam_threshold": "4.25"},
    ], "aliases": [{"address": "team@example.org", "destinations": ["one@example.org"], "colour": "red"}]}
    path = tmp_path / "mail.json"
    path.write_text(json.dumps(document, indent=2))
    with pytest.raises(CommandError):
        call_command("import", str(path), "--dry-run")
    report = capsys.readouterr().err
    text = path.read_text().splitlines()
    line_of = {name: next(number for number, line in enumerate(text, 1) if name in line)
               for name in ("two@", "three@", "team@")}
    assert f"line {line_of['two@'] - 1}: quota must be a whole number" in report
    assert f"line {line_of['three@'] - 1}: The spam threshold has one decimal at most" in report
    assert f"line {line_of['team@'] - 1}: alias entries have no field 'colour'" in report
    assert not Mailbox.objects.exists()


def test_a_good_file_imports_plain_and_hashed_passwords_that_dovecot_checks(mail_domain, tmp_path):
    path = tmp_path / "mail.json"
    path.write_text(json.dumps({"domains": [{"address": "Import.Example", "default_quota": GIB}], "mailboxes": [
        {"address": "plain@import.example", "password": PASSWORD, "spam_threshold": "3.5"},
        {"address": "hashed@import.example", "password_hash": HASH, "active": False},
    ], "aliases": [{"address": "@import.example", "destinations": ["plain@import.example"]}]}))
    call_command("import", str(path), "--dry-run")
    assert not Domain.objects.filter(name="import.example").exists()
    call_command("import", str(path))
    plain = Mailbox.objects.get(email="plain@import.example")
    assert (plain.quota, plain.spam_threshold, plain.active) == (GIB, Decimal("3.5"), True)
    assert passwords.verify_password(PASSWORD, plain.password)
    hashed = Mailbox.objects.get(email="hashed@import.example")
    assert (hashed.password, hashed.active) == (HASH, False)
    assert Alias.objects.get(source="@import.example").destination == "plain@import.example"


def test_a_mail_folder_outside_the_mailboxs_domain_is_refused(mail_domain, tmp_path, capsys):
    mail_domain("example.org")
    path = tmp_path / "mail.csv"
    path.write_text(f"kind,address,password_hash,maildir\nmailbox,a@example.org,{HASH},../../etc\n"
                    f"mailbox,b@example.org,{HASH},other.example/b\n")
    with pytest.raises(CommandError):
        call_command("import", str(path))
    report = capsys.readouterr().err
    assert "line 2: maildir must be a folder of the mailbox's domain" in report
    assert "line 3: maildir must be a folder of the mailbox's domain" in report
    assert not Mailbox.objects.exists()


def test_a_mail_folder_already_in_use_is_refused_and_nothing_is_imported(mail_domain, tmp_path, capsys):
    """One folder per mailbox: otherwise one owner reads the other's mail, and deleting either
    archives both.  Folders are compared in their canonical forms."""
    example = mail_domain("example.org")
    example.mailbox("anna")
    services.mailbox_rename(actor=example.actor, mailbox=example.mailbox("ben"), local_part="benjamin")
    services.mailbox_delete(actor=example.actor, mailbox=example.mailbox("dora"))  # archived by the worker
    before = snapshot()
    path = tmp_path / "mail.csv"
    path.write_text("kind,address,password_hash,maildir\n"
                    f"mailbox,c1@example.org,{HASH},example.org/ben\n"        # benjamin's maildir
                    f"mailbox,c2@example.org,{HASH},Example.ORG./anna\n"      # anna's home
                    f"mailbox,c3@example.org,{HASH},example.org//./dora\n"    # a pending mail-store job
                    f"mailbox,c4@example.org,{HASH},example.org/shared\n"
                    f"mailbox,c5@example.org,{HASH},example.org/shared\n"     # twice in the file
                    f"mailbox,c6@example.org,{HASH},example.org/c7\n"         # the home of c7 below
                    f"mailbox,c7@example.org,{HASH},\n"
                    f"mailbox,c8@example.org,{HASH},example.org/ben/../anna\n")
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import", str(path))
    report = capsys.readouterr().err
    assert "line 2: maildir example.org/ben is the mail folder of benjamin@example.org" in report
    assert "line 3: maildir example.org/anna is the mail folder of anna@example.org" in report
    assert "line 4: maildir example.org/dora is still in use by a pending mail-store job" in report
    assert "line 6: maildir example.org/shared is also the maildir of line 5" in report
    assert "line 7: maildir example.org/c7 is the mail folder of c7@example.org (line 8)" in report
    assert "line 9: maildir must be a folder of the mailbox's domain" in report
    assert "line 5:" not in report and "line 8:" not in report
    assert snapshot() == before


def test_a_mail_folder_is_compared_with_the_mailboxs_canonical_domain(mail_domain, tmp_path):
    mail_domain("example.org")
    mail_domain("bücher.example")
    path = tmp_path / "mail.csv"
    path.write_text("kind,address,password_hash,maildir\n"
                    f"mailbox,a@Example.org.,{HASH},example.org/old-a\n"
                    f"mailbox,b@BÜCHER.example,{HASH},bücher.example/old-b\n")
    call_command("import", str(path))
    assert dict(Mailbox.objects.values_list("email", "maildir")) == {
        "a@example.org": "example.org/old-a", "b@xn--bcher-kva.example": "xn--bcher-kva.example/old-b"}


def test_a_mail_folder_of_the_files_raw_domain_is_refused(mail_domain, tmp_path, capsys):
    mail_domain("example.org")
    path = tmp_path / "mail.csv"
    path.write_text(f"kind,address,password_hash,maildir\nmailbox,a@example.org.,{HASH},example.org./a\n"
                    f"mailbox,b@example.org,{HASH},example.org./other.example\n")
    call_command("import", str(path))
    # The folder Dovecot opens is the canonical one: never "example.org./a" beside "example.org/".
    assert dict(Mailbox.objects.values_list("email", "maildir")) == {
        "a@example.org": "example.org/a", "b@example.org": "example.org/other.example"}

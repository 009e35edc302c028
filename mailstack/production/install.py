"""`./mailctl install`: the steps in order.  Each says what it did; a second run on an unchanged
host writes nothing and restarts nothing.

The configuration files (daemons, nginx, units, certificate) change as one set: what is there is
backed up to /var/backups/mailadmin/<time>/, the new files are written and checked with the
daemons' own tools, then each daemon whose files changed is reloaded (ours restarted) and must
answer on its ports.  If a check fails, the previous files are put back before any daemon saw the
new ones; if a start fails, they are put back, the daemons that ran before are restarted with them
and those the run started are stopped.  Either way the install stops saying what failed.
"""
import io
import os
import pwd
import secrets
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.core.management import call_command

from mailstack import webmail
from mailstack.production import database, tls
from mailstack.production.desired import SRS_SECRET, configuration_files
from mailstack.production.environment import ACME_WEBROOT, IMPORT_DIR, PANEL_USER, VAR_DIR
from mailstack.production.files import File, backup, changed, restore, write
from mailstack.production.revision import code_revision
from mailstack.production.services import (
    PHP_FPM,
    SERVICES,
    ServiceError,
    check_all,
    postfix_listeners,
    run,
    systemctl,
    wait_until_serving,
)

BACKUPS = "/var/backups/mailadmin"
REVISION_STAMP = f"{VAR_DIR}/installed-revision"
DOVECOT_CONF = "/etc/dovecot/dovecot.conf"
SPAM_SIEVE = "/etc/dovecot/spam-to-junk.sieve"
LEARN_SIEVES = ("/etc/dovecot/learn-spam.sieve", "/etc/dovecot/learn-ham.sieve")


class InstallError(RuntimeError):
    pass


def apply_configuration(root: Path, entries: list[File], *, check, activate, revert, log) -> list[str]:
    """Writes the entries that differ from the host, then check() and activate(paths written).
    If either raises ServiceError, the previous files are put back (after a failed activation,
    revert(paths written) then brings the daemons back to them) and InstallError says what
    failed.  Returns the paths written."""
    root = Path(root)
    different = changed(root, entries)
    if not different:
        log("configuration: every file is as rendered; nothing written")
        activate([])
        return []
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
    folder = backup(root, different, root / BACKUPS.lstrip("/") / stamp)
    written = [entry.path for entry in different]
    for entry in different:
        write(root, entry)
        log(f"configuration: {'removed' if entry.absent else 'wrote'} {entry.path}")
    try:
        check()
    except ServiceError as error:
        restore(root, folder)
        raise InstallError(f"{error}\n\nthe previous files are back (from {folder}); no daemon was reloaded "
                           "with the new ones") from error
    try:
        activate(written)
    except ServiceError as error:
        log(f"FAILED: {error}")
        restore(root, folder)
        log(f"configuration: put back the previous files from {folder}; restarting the daemons with them")
        try:
            revert(written)
        except ServiceError as second:
            raise InstallError(f"{error}\n\nthe previous files are back (from {folder}), but a daemon did not "
                               f"start with them either:\n{second}") from error
        raise InstallError(f"{error}\n\nthe previous files are back (from {folder}) and the daemons run with "
                           "them") from error
    log(f"configuration: the previous files are kept in {folder}")
    return written


def services() -> list:
    """The host's daemons in start order; Roundcube's php-fpm before nginx, which passes it requests."""
    wanted = [service for service in SERVICES if service.unit != "mariadb.service" or database.is_local()]
    if settings.MAILSTACK["webmail"]:
        wanted.insert(len(wanted) - 1, PHP_FPM)
    return wanted


def _unit(action: str, service, log) -> None:
    result = systemctl(action, service.unit, check=False)
    if result.returncode != 0:
        journal = run(["journalctl", "-u", service.unit, "-n", "15", "--no-pager"], check=False).stdout
        raise ServiceError(f"`systemctl {action} {service.unit}` failed:\n{journal.strip()}")
    log(f"services: {action}{'ped' if action == 'stop' else 'ed'} {service.unit}")


def activate(paths: list[str], *, log, enabled: list[str], restart: frozenset[str] = frozenset()) -> None:
    """Enables and starts every daemon; reloads (our units, and those named in `restart`:
    restarts) the ones whose files are among `paths`; each must then answer.  The units it
    enables are added to `enabled`."""
    if any(path.startswith("/etc/systemd/system/") for path in paths):
        systemctl("daemon-reload")
    if any(path.startswith("/etc/dovecot/") for path in paths):
        _compile_spam_sieve()
    for service in services():
        enable = service.enable or service.unit
        if systemctl("is-enabled", "--quiet", enable, check=False).returncode != 0:
            systemctl("enable", "--quiet", enable)
            enabled.append(enable)
            log(f"services: enabled {enable}")
        if not service.active():
            _unit("start", service, log)
        elif service.affected_by(paths):
            _unit("restart" if service.restart or service.unit in restart else "reload", service, log)
        if enable != service.unit and systemctl("is-active", "--quiet", enable, check=False).returncode != 0:
            # Debian's postfix.service: a wrapper that starts nothing itself; started too, so that
            # the operator's `systemctl reload postfix` reaches the instance.
            systemctl("start", enable)
            log(f"services: started {enable}")
    for service in services():
        wait_until_serving(service)
    log("services: every daemon is active and answers on its ports")


def revert(paths: list[str], *, running_before: set[str], enabled: list[str], log) -> None:
    """With the previous files back: the daemons that ran before this run are restarted with them
    (where their files changed, or they stopped), those this run started are stopped again, and
    those it enabled disabled again (after a failed first install no link to our units is left)."""
    for unit in enabled:
        systemctl("disable", "--quiet", unit, check=False)  # our unit's file may be gone already
        log(f"services: disabled {unit} again")
    systemctl("daemon-reload")
    if any(path.startswith("/etc/dovecot/") for path in paths):
        try:
            _compile_spam_sieve()  # the previous script, if there was one, over the new one's binary
        except ServiceError as error:
            log(f"configuration: the previous spam-to-junk.sieve does not compile: {error}")
    for service in services():
        if service.unit not in running_before:
            if service.active():
                _unit("stop", service, log)
        elif service.affected_by(paths) or not service.active():
            _unit("restart", service, log)
    for service in services():
        if service.unit in running_before:
            wait_until_serving(service, answering=False)


def _compile_spam_sieve() -> None:
    """sievec with the written dovecot.conf named (-c): without it, a running Dovecot's config
    process answers with the configuration Dovecot started with, which on a server being adopted
    (or upgraded) lacks the Sieve extensions the new script needs.  Files put back after a failure
    may have no script at all."""
    for script in (SPAM_SIEVE, *LEARN_SIEVES):
        if Path(script).exists():
            run(["sievec", "-c", DOVECOT_CONF, script])


def _folders() -> None:
    Path(VAR_DIR).mkdir(mode=0o755, exist_ok=True)
    Path(ACME_WEBROOT).mkdir(mode=0o755, exist_ok=True)
    Path(BACKUPS).mkdir(mode=0o700, parents=True, exist_ok=True)
    Path("/etc/mailadmin/tls").mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod("/etc/mailadmin/tls", 0o700)
    vmail = Path(settings.MAILSTACK["vmail_dir"])
    mail_user = pwd.getpwnam(settings.MAILSTACK["mail_user"])
    if not vmail.exists():
        vmail.mkdir(mode=0o700)
        os.chown(vmail, mail_user.pw_uid, mail_user.pw_gid)
    # The panel writes uploaded import files here, the worker (the mail user) reads and removes
    # them: the folder's group is the mail user's and passes to every file in it (set-group-id).
    Path(IMPORT_DIR).mkdir(exist_ok=True)
    os.chown(IMPORT_DIR, pwd.getpwnam(PANEL_USER).pw_uid, mail_user.pw_gid)
    os.chmod(IMPORT_DIR, 0o2770)


def _srs_secret(log) -> None:
    """The secret postsrsd signs SRS addresses with: made once (Debian's package makes it when
    installed) and kept, readable by root alone, never by the panel's user."""
    secret = Path(SRS_SECRET)
    if not secret.exists():
        descriptor = os.open(secret, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as stream:
            stream.write(secrets.token_urlsafe(32) + "\n")
        log(f"srs: made the SRS secret {SRS_SECRET}")
    os.chown(secret, 0, 0)
    secret.chmod(0o600)


def _django_step(name: str, *arguments, log, **options) -> None:
    output = io.StringIO()
    call_command(name, *arguments, stdout=output, **options)
    for line in output.getvalue().strip().splitlines():
        log(f"{name}: {line}")


def _restart_panel_on_new_code(started_now: list[str], log) -> None:
    """After an upgrade (a new checkout revision) the panel and the worker run the new code."""
    stamp = Path(REVISION_STAMP)
    revision = code_revision(Path(settings.BASE_DIR))
    if stamp.exists() and stamp.read_text().strip() == revision:
        return
    for unit in ("mailadmin.service", "mailadmin-mailstore.service"):
        if f"/etc/systemd/system/{unit}" not in started_now:
            systemctl("restart", unit)
            log(f"services: restarted {unit} (code revision {revision})")
    stamp.write_text(revision + "\n")


def install(log=print) -> None:
    root = Path("/")
    if os.geteuid() != 0:
        raise InstallError("the install changes the system's configuration: run it as root")
    hostname = settings.MAILSTACK["hostname"]
    log(f"installing mailadmin for {hostname} (certificate: {settings.MAILADMIN_TLS})")
    _folders()
    _srs_secret(log)
    if database.is_local():
        _ensure_running("mariadb.service", log)
    database.prepare(log)
    _django_step("collectstatic", log=log, interactive=False, verbosity=1)
    _django_step("compilemessages", log=log, ignore_patterns=[".venv", "node_modules", "var"], verbosity=0)
    _django_step("create_first_superadmin", log=log)

    running_before = {service.unit for service in services() if service.active()}
    enabled_now: list[str] = []

    def configure(entries):
        listeners = postfix_listeners()

        def restart() -> frozenset[str]:  # once the new main.cf is written
            return frozenset({"postfix@-.service"} if postfix_listeners() != listeners else ())

        return apply_configuration(root, entries, check=lambda: check_all(root, host=True),
                                   activate=lambda paths: activate(paths, log=log, enabled=enabled_now,
                                                                   restart=restart()),
                                   revert=lambda paths: revert(paths, running_before=running_before,
                                                               enabled=enabled_now, log=log),
                                   log=log)

    certificate, source = tls.wanted_files(root)
    log(f"certificate: {source}")
    written = configure(certificate + configuration_files(root))
    if settings.MAILADMIN_TLS == "acme" and not tls.acme_covers(root, hostname):
        try:
            tls.request_certificate(hostname, log)
        except tls.CertificateError as error:
            raise InstallError(f"{error}\n\nmail and panel run with the interim certificate; run "
                               "./mailctl install again once the ACME server can reach port 80") from error
        certificate, source = tls.wanted_files(root)
        log(f"certificate: {source}")
        written += configure(certificate + configuration_files(root))
    if settings.MAILSTACK["webmail"] and database.is_local():
        webmail.update_schema(run=run)  # with the configuration just written (Roundcube upgraded by Debian)
    _restart_panel_on_new_code(written, log)
    _deploy_check(log)
    log("done")


def _ensure_running(unit: str, log) -> None:
    if systemctl("is-enabled", "--quiet", unit, check=False).returncode != 0:
        systemctl("enable", "--quiet", unit)
        log(f"services: enabled {unit}")
    if systemctl("is-active", "--quiet", unit, check=False).returncode != 0:
        systemctl("start", unit)
        log(f"services: started {unit}")


def _deploy_check(log) -> None:
    output = io.StringIO()
    call_command("check", deploy=True, stdout=output, stderr=output)
    log(f"check --deploy: {output.getvalue().strip()}")


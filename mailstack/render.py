"""Renders the daemons' configurations from the templates in deploy/ (see mailstack/config.py)."""
import grp
import os
import re
import secrets
import stat
from pathlib import Path

from django.conf import settings
from django.template import Context, Engine
from django.utils import translation

from mailstack.config import context

TEMPLATES = {
    "postfix": [
        "main.cf",
        "master.cf",
        "header_checks",
        "lmtp-status-filter",
        "mysql-virtual-mailbox-domains.cf",
        "mysql-virtual-mailbox-maps.cf",
        "mysql-virtual-alias-maps.cf",
        "mysql-email2email.cf",
        "mysql-recipient-access.cf",
        "mysql-sender-login-maps.cf",
        "mysql-sender-access.cf",
        "mysql-forwarded-sender-transport.cf",
        "srs-addresses",
    ],
    "dovecot": ["dovecot.conf", "dovecot-sql.conf.ext", "dovecot-dict-sql.conf.ext", "spam-to-junk.sieve",
                "quota-warning.py", "quota-warning.txt", "quota-warning-lda.conf", "learn-spam.sieve",
                "learn-ham.sieve", "dovecot-sql-hash-id.conf.ext", "returning-logins.lua",
                # The warning in each language, for the owner's stored language (quota-warning.py).
                *(f"quota-warning.{code}.txt" for code, _name in settings.LANGUAGES)],
    "spamassassin": ["local.cf"],
    "opendkim": ["opendkim.conf", "opendkim-ed25519.conf"],
}
# The bundled stack's Roundcube, its php-fpm and nginx (mailstack/webmail.py), all in one folder:
# the file written, and its template.
PRIVATE_WEBMAIL = {
    "config.inc.php": "roundcube/config.inc.php",
    "php-fpm.conf": "roundcube/php-fpm.conf",
    "nginx.conf": "nginx/private.conf",
}
# Files holding a database password are readable only by root and the daemon's group.
SECRET_FILES = {
    "config.inc.php": "www-data",
    "dovecot-sql.conf.ext": "dovecot",
    "dovecot-dict-sql.conf.ext": "dovecot",
    "dovecot-sql-hash-id.conf.ext": "dovecot",
    "opendkim.conf": "opendkim",
    "opendkim-ed25519.conf": "opendkim",
    **{name: "postfix" for name in TEMPLATES["postfix"] if name.startswith("mysql-")},
}

_engine = Engine(dirs=[str(Path(settings.BASE_DIR) / "deploy")], autoescape=False,
                 libraries={"i18n": "django.templatetags.i18n"})
# quota-warning.<language>.txt is quota-warning.txt in that language; the others are rendered in
# the default language (settings.LANGUAGE_CODE).
_IN_LANGUAGE = re.compile(r"(?P<template>.+)\.(?P<language>[a-z]{2}(?:-[a-z]+)?)(?P<suffix>\.txt)")


def render(template_name: str, profile: str = "private", database: str | None = None, *,
           root: Path = Path("/"), extra: dict | None = None) -> str:
    """The rendered template; `database` renders it for another database than the panel's; `root`
    and `extra`: see mailstack/config.py and mailstack/production/desired.py."""
    values = context(profile, root) | (extra or {})
    if database:
        values["db"] = values["db"] | {"name": database}
    language = settings.LANGUAGE_CODE
    if (match := _IN_LANGUAGE.fullmatch(template_name)) and match["language"] in dict(settings.LANGUAGES):
        template_name, language = match["template"] + match["suffix"], match["language"]
    with translation.override(language):
        return _engine.get_template(template_name).render(Context(values, autoescape=False))


class UnsafeOutput(Exception):
    """The folder to render into could be changed by another user (or is a symbolic link)."""


def _own_folder(name: str, shown: Path, mode: int, dir_fd: int | None = None) -> int:
    """An open descriptor of the folder `name` (relative to `dir_fd`), made with `mode` if missing;
    refused unless it is a real folder of the caller's that nobody else may write to.  Everything
    is then written through the descriptor: a path swapped afterwards changes nothing."""
    try:
        os.mkdir(name, mode, dir_fd=dir_fd)
    except FileExistsError:
        pass
    try:
        folder = os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=dir_fd)
    except OSError as error:  # ELOOP: a symbolic link; ENOTDIR: a file
        raise UnsafeOutput(f"{shown} is a symbolic link or not a folder; refusing to write into it") from error
    status = os.fstat(folder)
    problem = (f"is owned by uid {status.st_uid}, not by you (uid {os.geteuid()})" if status.st_uid != os.geteuid()
               else f"is writable by the group or others (mode {stat.S_IMODE(status.st_mode):04o})"
               if status.st_mode & 0o022 else "")
    if problem:
        os.close(folder)
        raise UnsafeOutput(f"{shown} {problem}: another user could swap the files; refusing to write into it")
    return folder


def _open_target(target: Path, mode: int) -> int:
    target = Path(os.path.abspath(target))
    if target == target.parent:
        raise UnsafeOutput("give a folder of its own to render into, not /")
    if not os.path.lexists(target.parent):
        os.close(_open_target(target.parent, mode))
    parent = os.open(target.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        return _own_folder(target.name, target, mode, dir_fd=parent)
    finally:
        os.close(parent)


def _write(folder: int, name: str, text: str):
    """Writes `name` in the open `folder` under a fresh temporary name, then renames it into place:
    a symbolic link found at `name` is replaced, never followed."""
    temporary = f".{name}.{secrets.token_hex(8)}.tmp"
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600, dir_fd=folder)
    try:
        if name in SECRET_FILES:
            os.fchown(descriptor, 0, grp.getgrnam(SECRET_FILES[name]).gr_gid)
        os.fchmod(descriptor, 0o640 if name in SECRET_FILES else 0o644)
        with os.fdopen(descriptor, "w") as stream:
            stream.write(text)
    except BaseException:
        os.unlink(temporary, dir_fd=folder)
        raise
    os.replace(temporary, name, src_dir_fd=folder, dst_dir_fd=folder)


def write_all(target: Path, profile: str = "private", *, folder_mode: int = 0o700) -> list[Path]:
    """Writes every rendered file to target/<daemon>/<file>; returns the paths written.  Raises
    UnsafeOutput, writing nothing, unless target and its daemon folders are the caller's alone;
    missing ones are made with `folder_mode`."""
    root = _open_target(target, folder_mode)
    folders = {}
    try:
        for daemon in TEMPLATES:
            folders[daemon] = _own_folder(daemon, Path(target) / daemon, folder_mode, dir_fd=root)
        written = []
        for daemon, names in TEMPLATES.items():
            for name in names:
                _write(folders[daemon], name, render(f"{daemon}/{name}", profile))
                written.append(Path(target) / daemon / name)
        if profile == "private" and settings.MAILSTACK["webmail"]:
            folders["webmail"] = _own_folder("webmail", Path(target) / "webmail", folder_mode, dir_fd=root)
            for name, template in PRIVATE_WEBMAIL.items():
                _write(folders["webmail"], name, render(template, profile))
                written.append(Path(target) / "webmail" / name)
        return written
    finally:
        for folder in (root, *folders.values()):
            os.close(folder)


def mariadb_sql(template_name: str) -> str:
    return render(f"mariadb/{template_name}")

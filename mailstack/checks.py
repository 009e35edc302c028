"""System checks of how the panel reaches the mail server."""
import os
import stat
from pathlib import Path

from django.conf import settings
from django.core.checks import Error, Tags, register


def unsafe_because(path: Path) -> str:
    """Why another user than root could change what runs as root at `path` (empty: nobody can):
    the file and every folder above it must be root's and writable by no one else (a folder with
    the sticky bit, as /tmp, keeps root's entries root's)."""
    try:
        real = Path(os.path.realpath(path))
        status = os.stat(real)
    except OSError as error:
        return f"it cannot be read ({error.strerror})"
    if not stat.S_ISREG(status.st_mode):
        return "it is not a regular file"
    if status.st_uid != 0 or status.st_mode & 0o022:
        return f"{real} is not root's alone ({_owner_and_mode(status)})"
    for folder in real.parents:
        status = os.stat(folder)
        if status.st_uid != 0 or (status.st_mode & 0o022 and not status.st_mode & stat.S_ISVTX):
            return f"the folder {folder} is not root's alone ({_owner_and_mode(status)})"
    return ""


def _owner_and_mode(status) -> str:
    return f"uid {status.st_uid}, mode {stat.S_IMODE(status.st_mode):04o}"


@register(Tags.security, deploy=True)
def check_mail_server_helper(app_configs=None, **kwargs):
    if settings.MAILADMIN_MAIL_SERVER != "sudo":
        return []
    problem = unsafe_because(Path(settings.MAILADMIN_MAIL_SERVER_HELPER))
    if not problem:
        return []
    return [Error(
        f"MAILADMIN_MAIL_SERVER is sudo, but the helper {settings.MAILADMIN_MAIL_SERVER_HELPER} is not safe to "
        f"run as root: {problem}.",
        hint="Install it with the production install (mailstack.privileged.files_to_install), which writes it "
             "root-owned, mode 0755, in /usr/local/libexec/mailadmin.",
        id="mailstack.E001",
    )]

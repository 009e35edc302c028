"""The files the install owns, compared with what is on the host, backed up, written and put back.

Every path is absolute on the host and taken below `root` ("/" on a real host; a temporary folder
in the tests).  A file is written only when its content, mode or owner differ, under a temporary
name renamed into place, so a daemon never reads half a file; files are written in the order
given (what others refer to first).
"""
import grp
import json
import os
import pwd
import secrets
import shutil
import stat
from dataclasses import dataclass
from pathlib import Path

ABSENT = None


@dataclass(frozen=True)
class File:
    """One installed path: a regular file (`content`), a symbolic link (`link`), or, with both
    empty, a path that must not exist (Debian's default nginx site)."""

    path: str
    content: bytes | None = ABSENT
    mode: int = 0o644
    owner: str = "root"
    group: str = "root"
    link: str = ""

    def on(self, root: Path) -> Path:
        return Path(root) / self.path.lstrip("/")

    @property
    def absent(self) -> bool:
        return self.content is ABSENT and not self.link


def _ids(entry: File) -> tuple[int, int]:
    return pwd.getpwnam(entry.owner).pw_uid, grp.getgrnam(entry.group).gr_gid


def differs(root: Path, entry: File) -> bool:
    path = entry.on(root)
    if entry.absent:
        return os.path.lexists(path)
    if entry.link:
        return not path.is_symlink() or os.readlink(path) != entry.link
    if path.is_symlink() or not path.is_file():
        return True
    status = path.stat()
    return (path.read_bytes() != entry.content or stat.S_IMODE(status.st_mode) != entry.mode
            or (status.st_uid, status.st_gid) != _ids(entry))


def changed(root: Path, entries: list[File]) -> list[File]:
    return [entry for entry in entries if differs(root, entry)]


def backup(root: Path, entries: list[File], folder: Path) -> Path:
    """Copies what is at each entry's path now into `folder` (same layout, links kept as links),
    with manifest.json naming the paths that did not exist: restore() removes those."""
    folder.mkdir(parents=True, mode=0o700)
    missing = []
    for entry in entries:
        path = entry.on(root)
        if not os.path.lexists(path):
            missing.append(entry.path)
            continue
        copy = folder / entry.path.lstrip("/")
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, copy, follow_symlinks=False)
        if not path.is_symlink():
            status = path.stat()
            os.chown(copy, status.st_uid, status.st_gid)
    (folder / "manifest.json").write_text(json.dumps(
        {"paths": [entry.path for entry in entries], "missing": missing}, indent=2))
    return folder


def _replace(path: Path, make) -> None:
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    make(temporary)
    os.replace(temporary, path)


def write(root: Path, entry: File) -> None:
    path = entry.on(root)
    if entry.absent:
        path.unlink(missing_ok=True)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    if entry.link:
        _replace(path, lambda temporary: temporary.symlink_to(entry.link))
        return
    uid, gid = _ids(entry)

    def make(temporary):
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        with os.fdopen(descriptor, "wb") as stream:
            os.fchown(stream.fileno(), uid, gid)
            os.fchmod(stream.fileno(), entry.mode)
            stream.write(entry.content)
    _replace(path, make)


def restore(root: Path, folder: Path) -> list[str]:
    """Puts back what backup() saved in `folder`; returns the paths put back or removed."""
    manifest = json.loads((folder / "manifest.json").read_text())
    for name in manifest["paths"]:
        path = Path(root) / name.lstrip("/")
        if name in manifest["missing"]:
            if os.path.lexists(path):
                path.unlink()
            continue
        saved = folder / name.lstrip("/")
        path.parent.mkdir(parents=True, exist_ok=True)
        _replace(path, lambda temporary, saved=saved: _copy_back(saved, temporary))
    return manifest["paths"]


def _copy_back(saved: Path, temporary: Path) -> None:
    shutil.copy2(saved, temporary, follow_symlinks=False)
    if not saved.is_symlink():
        status = saved.stat()
        os.chown(temporary, status.st_uid, status.st_gid)

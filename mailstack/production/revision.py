"""Which code the checkout holds, so that an upgrade restarts the panel and the worker once:
git's HEAD when the checkout is a git repository, and always a hash of the files the running
code is made of, so that a release unpacked without git (or a checkout with local changes)
also counts as new code when its files change, and as the same code when they do not."""
import hashlib
import os
import subprocess
from pathlib import Path

CODE_SUFFIXES = (".py", ".html", ".txt", ".css", ".js")
# Not the panel's code: other trees, what runs make (var, static), and the tests and docs.
SKIPPED_FOLDERS = {".git", ".venv", "node_modules", "var", "static", "artifacts", "site", "tests", "docs",
                   "__pycache__", ".pytest_cache", ".ruff_cache"}


def code_hash(checkout: Path) -> str:
    digest = hashlib.sha256()
    for folder, folders, files in os.walk(checkout):
        folders[:] = sorted(name for name in folders if name not in SKIPPED_FOLDERS)
        for name in sorted(files):
            if name.endswith(CODE_SUFFIXES):
                path = Path(folder) / name
                digest.update(f"{path.relative_to(checkout)}\0".encode())
                digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def git_head(checkout: Path) -> str:
    """The commit checked out, or "" without git (or outside a repository)."""
    try:
        result = subprocess.run(["git", "-c", f"safe.directory={checkout}", "-C", str(checkout), "rev-parse",
                                 "HEAD"], capture_output=True, text=True)
    except FileNotFoundError:
        return ""
    return result.stdout.strip() if result.returncode == 0 else ""


def code_revision(checkout: Path) -> str:
    """E.g. "3f2c… files 9ab1…", or "files 9ab1…" without git."""
    head = git_head(checkout)
    return f"{head + ' ' if head else ''}files {code_hash(checkout)}"

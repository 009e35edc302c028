"""What the superadmins' status page shows (docs/metrics.md#the-status-page): the /healthz probes,
Postfix's queues, the certificate's expiry, the mail folders' disk use and the last backup."""
import json
import shutil
import ssl
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.db.models import Sum

from mailstack import health, mailqueue
from mailstack.config import PRODUCTION_TLS_DIR, paths

BACKUP_STATUS_FILE = "backup-status.json"  # in the var folder; written by the backup command


@dataclass(frozen=True)
class Backup:
    finished: datetime | None = None
    result: str = ""  # "ok" or "failed"
    detail: str = ""
    problem: str = ""  # the name of the status file when it exists but cannot be read or understood


def certificate_file() -> Path:
    return PRODUCTION_TLS_DIR / "fullchain.pem" if health.installed() else paths().tls / "cert.pem"


def certificate_expiry() -> datetime | None:
    """The notAfter of the certificate the daemons present; None when it cannot be read."""
    try:
        answer = subprocess.run(["openssl", "x509", "-enddate", "-noout", "-in", str(certificate_file())],
                                capture_output=True, text=True, timeout=5, check=True).stdout
        return datetime.fromtimestamp(ssl.cert_time_to_seconds(answer.strip().removeprefix("notAfter=")), UTC)
    except (subprocess.SubprocessError, OSError, ValueError):
        return None


def mail_disk() -> dict | None:
    """The file system of the mail folders (total, used, free bytes) and the mail Dovecot counts in them."""
    from domains.models import DomainStorage

    try:
        usage = shutil.disk_usage(settings.MAILSTACK["vmail_dir"])
    except OSError:
        return None
    stored = DomainStorage.objects.aggregate(total=Sum("bytes"))["total"] or 0
    return {"total": usage.total, "used": usage.used, "free": usage.free, "stored": stored,
            "percent": round(100 * usage.used / usage.total) if usage.total else 0}


def last_backup() -> Backup | None:
    """None until a backup command has written its status file."""
    path = Path(settings.VAR_DIR) / BACKUP_STATUS_FILE
    try:
        record = json.loads(path.read_text())
        finished = datetime.fromisoformat(record["finished"])
        result = record["result"]
        if result not in ("ok", "failed") or finished.tzinfo is None:
            raise ValueError(result)
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError):
        return Backup(problem=path.name)
    return Backup(finished=finished, result=result, detail=str(record.get("detail", ""))[:300])


def report() -> dict:
    return {"parts": health.report(), "queues": mailqueue.sizes(), "certificate_expiry": certificate_expiry(),
            "disk": mail_disk(), "backup": last_backup(), "now": datetime.now(UTC)}

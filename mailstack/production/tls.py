"""The one certificate of mail and panel, installed at stable paths (desired.TLS_CERT, TLS_KEY).

files: the operator's certificate chain and key, copied.
acme:  certbot (Debian's) with the webroot nginx serves on port 80.  Until certbot has a
       certificate, a self-signed one lets nginx and the mail daemons start; certbot's deploy
       hook (deploy/certbot/mailadmin) copies each renewal to the stable paths.
"""
import os
import re
import subprocess
import tempfile
from pathlib import Path

from django.conf import settings

from mailstack.production.desired import CERT_NAME, LINEAGE, TLS_CERT, TLS_KEY, certificate_files
from mailstack.production.environment import ACME_WEBROOT
from mailstack.production.files import File
from mailstack.production.services import run


def _read(root: Path, path: str) -> bytes | None:
    full = Path(root) / path.lstrip("/")
    return full.read_bytes() if full.is_file() else None


def self_signed(hostname: str) -> tuple[bytes, bytes]:
    with tempfile.TemporaryDirectory() as folder:
        cert, key = Path(folder) / "cert.pem", Path(folder) / "key.pem"
        run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30",
             "-subj", f"/CN={hostname}", "-addext", f"subjectAltName=DNS:{hostname}",
             "-keyout", key, "-out", cert])
        return cert.read_bytes(), key.read_bytes()


def wanted_files(root: Path) -> tuple[list[File], str]:
    """The certificate files to install now, and where they come from (said to the operator)."""
    if settings.MAILADMIN_TLS == "files":
        chain = Path(settings.MAILADMIN_TLS_CERT_FILE).read_bytes()
        key = Path(settings.MAILADMIN_TLS_KEY_FILE).read_bytes()
        return certificate_files(chain, key), f"the operator's {settings.MAILADMIN_TLS_CERT_FILE}"
    if acme_covers(root, settings.MAILSTACK["hostname"]):
        lineage = Path(root) / LINEAGE.lstrip("/")
        return (certificate_files((lineage / "fullchain.pem").read_bytes(), (lineage / "privkey.pem").read_bytes()),
                f"certbot's {LINEAGE}")
    chain, key = _read(root, TLS_CERT), _read(root, TLS_KEY)
    if chain and key:
        return certificate_files(chain, key), "the one installed (until certbot has one)"
    return certificate_files(*self_signed(settings.MAILSTACK["hostname"])), "self-signed (until certbot has one)"


def acme_covers(root: Path, hostname: str) -> bool:
    """certbot holds a certificate for `hostname` under our certificate name."""
    cert = Path(root) / LINEAGE.lstrip("/") / "cert.pem"
    if not cert.exists():
        return False
    names = run(["openssl", "x509", "-noout", "-ext", "subjectAltName", "-in", cert], check=False).stdout
    return hostname in re.findall(r"DNS:([^,\s]+)", names)


def request_certificate(hostname: str, log) -> None:
    """certbot certonly over HTTP-01 through nginx's webroot (nginx must answer on port 80)."""
    Path(ACME_WEBROOT).mkdir(parents=True, exist_ok=True)
    command = ["certbot", "certonly", "--non-interactive", "--agree-tos", "--webroot", "-w", ACME_WEBROOT,
               "--cert-name", CERT_NAME, "-d", hostname, "--server", settings.MAILADMIN_ACME_DIRECTORY]
    command += (["--email", settings.MAILADMIN_ACME_EMAIL] if settings.MAILADMIN_ACME_EMAIL
                else ["--register-unsafely-without-email"])
    environment = dict(os.environ)
    if settings.MAILADMIN_ACME_CA_BUNDLE:
        environment["REQUESTS_CA_BUNDLE"] = settings.MAILADMIN_ACME_CA_BUNDLE
    log(f"certbot: requesting a certificate for {hostname} from {settings.MAILADMIN_ACME_DIRECTORY}")
    result = subprocess.run(command, capture_output=True, text=True, env=environment)
    if result.returncode != 0:
        raise CertificateError(f"certbot could not get a certificate for {hostname} "
                               f"(exit {result.returncode}):\n{(result.stderr or result.stdout).strip()[-3000:]}")


class CertificateError(RuntimeError):
    pass

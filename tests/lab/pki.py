"""The lab's certificate authority, made with openssl: client and remote trust it, and it signs
the certificates of mx (operator-provided files) and of the ACME server."""
import base64
import hashlib
import subprocess
from pathlib import Path


def openssl(*args):
    subprocess.run(["openssl", *args], check=True, capture_output=True, timeout=60)


class CA:
    def __init__(self, folder):
        self.folder = Path(folder)
        self.cert = self.folder / "ca.pem"
        self.key = self.folder / "ca.key"

    def create(self):
        self.folder.mkdir(parents=True, exist_ok=True)
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", str(self.key), "-out", str(self.cert), "-days", "30",
                "-subj", "/CN=mailadmin lab CA", "-addext", "basicConstraints=critical,CA:true",
                "-addext", "keyUsage=critical,keyCertSign,cRLSign")
        return self

    def issue(self, name, *alt_names):
        """A key and a certificate chain (leaf, then the CA) for `name`: returns (cert, key) paths."""
        key, request, cert = (self.folder / f"{name}.{ext}" for ext in ("key", "csr", "crt"))
        openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", str(key), "-out", str(request), "-subj", f"/CN={name}")
        extensions = self.folder / f"{name}.ext"
        extensions.write_text(
            "basicConstraints=critical,CA:false\nkeyUsage=critical,digitalSignature\n"
            "extendedKeyUsage=serverAuth\n"
            "subjectAltName=" + ",".join(f"DNS:{n}" for n in (name, *alt_names)) + "\n")
        openssl("x509", "-req", "-in", str(request), "-CA", str(self.cert), "-CAkey", str(self.key),
                "-CAcreateserial", "-days", "30", "-extfile", str(extensions), "-out", str(cert))
        chain = self.folder / f"{name}.pem"
        chain.write_text(cert.read_text() + self.cert.read_text())
        return chain, key


def spki_sha256(key):
    """base64 SHA-256 of the public key of `key` (what Chromium's SPKI allow list takes)."""
    public = subprocess.run(["openssl", "pkey", "-in", str(key), "-pubout", "-outform", "DER"], check=True,
                            capture_output=True, timeout=30).stdout
    return base64.b64encode(hashlib.sha256(public).digest()).decode()

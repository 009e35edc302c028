"""DKIM key pairs: made with openssl (the private key only ever in a pipe), the private half
written to a table the panel's database account may INSERT into but never SELECT from.

The table is `<database>_dkim`.dkim_private_keys, beside the panel's database rather than in it:
the panel holds ALL PRIVILEGES on its own database (it runs the migrations), and MariaDB cannot
take back one column of a database-wide grant.  deploy/mariadb/accounts.sql creates it and
grants the panel INSERT and DELETE (with SELECT on key_id alone, which a DELETE's WHERE needs);
the signer's account reads the keys through the views of deploy/mariadb/daemon-grants.sql.
See docs/dkim.md.
"""
import base64
import subprocess

from django.conf import settings
from django.db import connection

RSA_BITS = 2048  # what every signer and verifier takes; the test settings lower it (MAILADMIN_DKIM_RSA_BITS)


def keys_database() -> str:
    return f"{settings.DATABASES['default']['NAME']}_dkim"


def _private_table() -> str:
    return f"`{keys_database()}`.`dkim_private_keys`"


def new_key(algorithm: str = "rsa") -> tuple[str, str]:
    """(private key PEM, DKIM's p= tag).  RSA: base64 of the DER SubjectPublicKeyInfo (RFC 6376);
    Ed25519: base64 of the bare 32-byte public key (RFC 8463), the SubjectPublicKeyInfo's tail."""
    if algorithm == "ed25519":
        command = ["openssl", "genpkey", "-algorithm", "ed25519"]
    else:
        bits = getattr(settings, "MAILADMIN_DKIM_RSA_BITS", RSA_BITS)
        command = ["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", f"rsa_keygen_bits:{bits}"]
    private = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    public = subprocess.run(["openssl", "pkey", "-pubout", "-outform", "DER"], input=private.encode(),
                            check=True, capture_output=True).stdout
    return private, base64.b64encode(public[-32:] if algorithm == "ed25519" else public).decode()


def store_private_key(key_id: int, private_key: str) -> None:
    """In the caller's transaction (the same connection): the key is there when its row is."""
    with connection.cursor() as cursor:
        cursor.execute(f"REPLACE INTO {_private_table()} (key_id, private_key) VALUES (%s, %s)", [key_id, private_key])


def delete_private_keys(key_ids) -> None:
    key_ids = list(key_ids)
    if key_ids:
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {_private_table()} WHERE key_id IN ({', '.join(['%s'] * len(key_ids))})",
                           key_ids)

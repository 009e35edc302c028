"""DKIM keys per domain: made with the domain, rotated and retired through services, the private
half readable by the signer's database account and never by the panel's."""
import base64
import subprocess
from io import StringIO

import MySQLdb
import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import OperationalError, connection

from domains import dkim, services
from domains.audit import Actor
from domains.models import AuditEntry, DkimKey

pytestmark = pytest.mark.django_db(transaction=True)
ACTOR = Actor.command("tests")


def signer_rows(view, domain_name):
    """What the signer's account (OpenDKIM's) reads from one of its views for a domain."""
    database = settings.DATABASES["default"]
    signer = MySQLdb.connect(host="127.0.0.1", port=int(database["PORT"]), user=settings.MAILSTACK["db_users"]["dkim"],
                             password=settings.SECRETS["db_dkim"], database=dkim.keys_database())
    try:
        cursor = signer.cursor()
        cursor.execute(f"SELECT * FROM {view} WHERE domain = %s", [domain_name])
        return cursor.fetchall()
    finally:
        signer.close()


def public_of(private_pem):
    der = subprocess.run(["openssl", "pkey", "-pubout", "-outform", "DER"], input=private_pem.encode(),
                         check=True, capture_output=True).stdout
    return base64.b64encode(der).decode()


def test_a_new_domain_signs_with_an_rsa_2048_key_the_signer_reads_and_the_panel_cannot(settings):
    del settings.MAILADMIN_DKIM_RSA_BITS  # the production size (the test settings make smaller keys, faster)
    domain = services.domain_create(actor=ACTOR, name="keys.example")

    key = DkimKey.objects.get(domain=domain)
    assert key.signing and key.algorithm == "rsa" and key.retired is None
    assert key.record_value.startswith("v=DKIM1; k=rsa; p=MIIBIjAN")  # a 2048-bit key's SubjectPublicKeyInfo
    [(key_id, name, selector, private_pem)] = signer_rows("dkim_key_table", "keys.example")
    assert (key_id, name, selector) == (key.pk, "keys.example", key.selector)
    assert public_of(private_pem) == key.public_key
    assert signer_rows("dkim_signing", "keys.example") == (("keys.example", key.pk),)
    assert AuditEntry.objects.filter(action="dkim.create", domain_id=domain.pk).count() == 1

    with connection.cursor() as cursor, pytest.raises(OperationalError) as refused:
        cursor.execute(f"SELECT private_key FROM `{dkim.keys_database()}`.dkim_private_keys")
    assert refused.value.args[0] == 1143  # column access denied
    for view in ("dkim_key_table", "dkim_signing"):
        with connection.cursor() as cursor, pytest.raises(OperationalError) as refused:
            cursor.execute(f"SELECT * FROM `{dkim.keys_database()}`.{view}")
        assert refused.value.args[0] == 1142  # table access denied


def test_a_rotations_key_is_published_first_and_signs_only_once_activated():
    domain = services.domain_create(actor=ACTOR, name="rotate.example")
    old = DkimKey.objects.get(domain=domain)

    new = services.dkim_key_create(actor=ACTOR, domain=domain)

    old.refresh_from_db()
    assert new.state == "published" and old.state == "signing"
    assert signer_rows("dkim_signing", "rotate.example") == (("rotate.example", old.pk),)  # the old key still signs
    assert {row[2] for row in signer_rows("dkim_key_table", "rotate.example")} == {old.selector, new.selector}

    with pytest.raises(ValidationError) as refused:  # the test stack's resolver publishes no record
        services.dkim_key_activate(actor=ACTOR, key=new)
    assert refused.value.code == "dkim_not_published" and new.record_name in refused.value.messages[0]
    assert signer_rows("dkim_signing", "rotate.example") == (("rotate.example", old.pk),)

    services.dkim_key_activate(actor=ACTOR, key=new, force=True)

    old.refresh_from_db(), new.refresh_from_db()
    assert new.state == "signing" and old.state == "replaced" and new.activated is not None
    assert signer_rows("dkim_signing", "rotate.example") == (("rotate.example", new.pk),)
    with pytest.raises(ValidationError):  # a key activates once
        services.dkim_key_activate(actor=ACTOR, key=old, force=True)

    services.dkim_key_retire(actor=ACTOR, key=old)

    old.refresh_from_db()
    assert old.retired is not None
    assert [row[2] for row in signer_rows("dkim_key_table", "rotate.example")] == [new.selector]
    assert list(AuditEntry.objects.filter(domain_id=domain.pk, action__startswith="dkim.").order_by("id")
                .values_list("action", "after")) == [
        ("dkim.create", {"selector": old.selector, "algorithm": "rsa", "signing": True}),
        ("dkim.create", {"selector": new.selector, "algorithm": "rsa", "signing": False}),
        ("dkim.activate", {"signing": [new.selector], "forced": True}),
        ("dkim.retire", {"retired": old.retired.isoformat()})]


def test_an_ed25519_key_is_a_second_signature_from_its_own_signing_table_until_retired():
    domain = services.domain_create(actor=ACTOR, name="second.example")
    rsa = DkimKey.objects.get(domain=domain)
    out = StringIO()

    call_command("dkim_keys", "--rotate", "second.example", "--algorithm", "ed25519", stdout=out)

    ed25519 = DkimKey.objects.get(domain=domain, algorithm="ed25519")
    assert ed25519.state == "published" and f"{ed25519.record_name}. TXT \"v=DKIM1; k=ed25519; p=" in out.getvalue()
    assert signer_rows("dkim_signing_ed25519", "second.example") == ()
    call_command("dkim_keys", "--activate", "second.example", ed25519.selector, "--force", stdout=out)
    assert signer_rows("dkim_signing_ed25519", "second.example") == (("second.example", ed25519.pk),)
    assert signer_rows("dkim_signing", "second.example") == (("second.example", rsa.pk),)  # RSA signs as before
    [(_, _, _, private_pem)] = [row for row in signer_rows("dkim_key_table", "second.example") if row[0] == ed25519.pk]
    assert private_pem.startswith("-----BEGIN PRIVATE KEY-----")

    services.dkim_key_retire(actor=ACTOR, key=ed25519)  # the second signature ends; the RSA key is never retired

    assert signer_rows("dkim_signing_ed25519", "second.example") == ()
    assert signer_rows("dkim_signing", "second.example") == (("second.example", rsa.pk),)


def test_the_signing_key_is_not_retired():
    domain = services.domain_create(actor=ACTOR, name="keep.example")
    key = DkimKey.objects.get(domain=domain)

    with pytest.raises(ValidationError):
        services.dkim_key_retire(actor=ACTOR, key=key)

    key.refresh_from_db()
    assert key.retired is None and len(signer_rows("dkim_key_table", "keep.example")) == 1


def test_deleting_a_domain_deletes_its_private_keys():
    domain = services.domain_create(actor=ACTOR, name="gone.example")
    key_id = DkimKey.objects.get(domain=domain).pk

    services.domain_delete(actor=ACTOR, domain=domain)

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT key_id FROM `{dkim.keys_database()}`.dkim_private_keys WHERE key_id = %s", [key_id])
        assert cursor.fetchall() == ()


def test_the_command_gives_older_domains_a_key_and_rotates_and_retires():
    domain = services.domain_create(actor=ACTOR, name="older.example")
    DkimKey.objects.filter(domain=domain).delete()  # as a domain made before keys existed

    out = StringIO()
    call_command("dkim_keys", "--create-missing", stdout=out)
    first = DkimKey.objects.get(domain=domain)
    assert out.getvalue() == f"older.example: {first.selector}\n"

    call_command("dkim_keys", "--rotate", "older.example", stdout=out)
    second = DkimKey.objects.get(domain=domain, signing=False)
    assert f'{second.record_name}. TXT "{second.record_value}"' in out.getvalue()
    with pytest.raises(CommandError, match="does not publish the record"):
        call_command("dkim_keys", "--activate", "older.example", second.selector, stdout=StringIO())
    call_command("dkim_keys", "--activate", "older.example", second.selector, "--force", stdout=StringIO())
    call_command("dkim_keys", "--retire", "older.example", first.selector, stdout=StringIO())
    first.refresh_from_db()
    assert first.retired is not None and DkimKey.objects.get(domain=domain, signing=True) == second


def test_only_the_test_settings_make_smaller_keys():
    import mailadmin.settings as production

    assert not hasattr(production, "MAILADMIN_DKIM_RSA_BITS") and dkim.RSA_BITS == 2048

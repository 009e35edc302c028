"""Logins in clear text over the network are refused: from the lab's client (not loopback),
IMAP on 143, POP3 on 110 and ManageSieve on 4190 refuse a password before STARTTLS, and take
the same one after it."""
import json

from tests.lab.hosts import CHECKOUT

CLIENT = str(CHECKOUT / "tests" / "lab" / "client_plaintext.py")
REFUSED = "Plaintext authentication disallowed on non-secure (SSL/TLS) connections."


def speak(lab, protocol, mailbox):
    arguments = {"host": "mx.example.net", "user": mailbox.address, "password": mailbox.password,
                 "ca": str(lab.ca.cert)}
    return json.loads(lab.client.run("python3", CLIENT, protocol, json.dumps(arguments), timeout=90).stdout)


def test_imap_on_143_refuses_login_before_starttls(mx, mailbox):
    imap = speak(mx, "imap", mailbox)
    assert "LOGINDISABLED" in imap["capability"] and "STARTTLS" in imap["capability"], imap
    assert imap["login"].startswith("b NO ") and REFUSED in imap["login"], imap
    assert imap["login_after_starttls"].startswith("d OK "), imap


def test_pop3_on_110_refuses_user_and_pass_before_starttls(mx, mailbox):
    pop3 = speak(mx, "pop3", mailbox)
    assert "STLS" in pop3["capability"] and "USER" not in pop3["capability"], pop3
    assert pop3["user"].startswith("-ERR") and REFUSED in pop3["user"], pop3
    assert pop3["pass"].startswith("-ERR"), pop3
    assert pop3["pass_after_starttls"].startswith("+OK"), pop3


def test_managesieve_on_4190_offers_starttls_and_refuses_authenticate_before_it(mx, mailbox):
    sieve = speak(mx, "managesieve", mailbox)
    assert '"STARTTLS"' in sieve["capabilities"], sieve
    assert '"SASL" ""' in sieve["capabilities"], "no mechanism offered before TLS"
    assert sieve["authenticate"] == 'NO (ENCRYPT-NEEDED) "Authentication not allowed until SSL/TLS is enabled."'
    assert sieve["authenticate_after_starttls"].startswith("OK"), sieve

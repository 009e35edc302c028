"""Remote's far-end checks, as a mail provider runs them on the mail it receives, and the
reader of their verdicts in bob's mailbox.

remote's smtpd asks Debian's postfix-policyd-spf-python at RCPT (a `Received-SPF:` header; it
never refuses, so a failing message still shows its verdict), then passes the message to
OpenDKIM in verify-only mode and to OpenDMARC (each adds an `Authentication-Results:` header
naming remote.example.com). Both milters ask the lab's DNS and nothing else.
"""
import email
import email.policy
import mailbox
import re

from tests.lab.waiting import wait_until

AUTHSERV_ID = "remote.example.com"
DKIM_PORT, DMARC_PORT = 8891, 8893
SERVICES = ("opendkim.service", "opendmarc.service")

MAIN_CF = f"""\
# Far-end checks: SPF at RCPT (policyd-spf), then DKIM and DMARC verdicts (milters, in this order:
# OpenDMARC reads OpenDKIM's Authentication-Results).
smtpd_recipient_restrictions = permit_mynetworks reject_unauth_destination check_policy_service unix:private/policyd-spf
policyd-spf_time_limit = 3600
smtpd_milters = inet:127.0.0.1:{DKIM_PORT} inet:127.0.0.1:{DMARC_PORT}
non_smtpd_milters =
milter_default_action = accept
"""
MASTER_CF = """\
policyd-spf unix - n n - 0 spawn user=policyd-spf argv=/usr/bin/policyd-spf
"""
POLICYD_SPF_CONF = """\
debugLevel = 1
TestOnly = 1
HELO_reject = False
Mail_From_reject = False
PermError_reject = False
TempError_Defer = False
skip_addresses = 127.0.0.0/8,::ffff:127.0.0.0/104,::1
"""


def opendkim_conf(nameservers):
    return f"""\
Syslog yes
Mode v
AuthservID {AUTHSERV_ID}
AlwaysAddARHeader yes
Canonicalization relaxed/simple
UserID opendkim
UMask 007
Socket inet:{DKIM_PORT}@127.0.0.1
PidFile /run/opendkim/opendkim.pid
Nameservers {",".join(nameservers)}
"""


OPENDMARC_CONF = f"""\
Syslog true
AuthservID {AUTHSERV_ID}
TrustedAuthservIDs {AUTHSERV_ID}
SPFSelfValidate true
IgnoreAuthenticatedClients true
RequiredHeaders false
FailureReports false
RejectFailures false
PublicSuffixList /usr/share/publicsuffix/public_suffix_list.dat
Socket inet:{DMARC_PORT}@127.0.0.1
PidFile /run/opendmarc/opendmarc.pid
UMask 0002
UserID opendmarc
"""


def configure(remote, main_cf, nameservers):
    """Writes the checks' configurations into remote (before it boots); returns its main.cf."""
    remote.write("/etc/opendkim.conf", opendkim_conf(nameservers))
    remote.write("/etc/opendmarc.conf", OPENDMARC_CONF)
    remote.write("/etc/postfix-policyd-spf-python/policyd-spf.conf", POLICYD_SPF_CONF)
    master_cf = remote.path("/etc/postfix/master.cf").read_text()
    remote.write("/etc/postfix/master.cf", master_cf + MASTER_CF)
    return main_cf + MAIN_CF


def bob_message(lab, subject, timeout=60):
    """The message with `subject` in bob's mailbox at remote (waits for it)."""
    path = lab.remote.path("/var/mail/bob")

    def find():
        if not path.exists():
            return None
        box = mailbox.mbox(str(path), factory=lambda f: email.message_from_binary_file(f, policy=email.policy.compat32))
        try:
            return next((m for m in box if m["Subject"] == subject), None)
        finally:
            box.close()
    return wait_until(find, timeout, f"{subject!r} in bob's mailbox at remote")


def verdicts(message):
    """Remote's verdicts on a delivered message:
    {"spf": "pass", "dkim": [{"result": "pass", "domain": "example.org", "selector": "..."}, ...],
     "dmarc": "pass"} (results lower-case; None where remote added no verdict)."""
    spf = message.get("Received-SPF")
    found = {"spf": spf.split()[0].lower() if spf else None, "dkim": [], "dmarc": None}
    for header in message.get_all("Authentication-Results", []):
        text = re.sub(r"\([^)]*\)", "", " ".join(str(header).split()))  # comments may hold a ";"
        if not text.startswith(AUTHSERV_ID + ";"):
            continue  # only remote's own verdicts count, not ones a sender wrote itself
        for part in text.split(";")[1:]:
            method = re.match(r"\s*(dkim|dmarc|spf)=(\w+)", part)
            if not method:
                continue
            kind, result = method.groups()
            if kind == "dkim":
                domain = re.search(r"header\.d=([^\s;]+)", part)
                selector = re.search(r"header\.s=([^\s;]+)", part)
                found["dkim"].append({"result": result, "domain": domain and domain.group(1),
                                      "selector": selector and selector.group(1)})
            elif kind == "dmarc":
                found["dmarc"] = result
    return found

"""Dovecot's quota_warning script, rendered by mailadmin from deploy/dovecot/quota-warning.py:
`quota-warning.py PERCENT ADDRESS` puts the warning of quota-warning.txt (a Subject line, a
blank line, the body; $percent and $address filled in) into the owner's INBOX through Dovecot's
LDA (quota-warning-lda.conf: the quota not enforced for it, no Sieve rules)."""
import string
import subprocess
import sys
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

TEXT = "{{ dovecot.config_dir }}/quota-warning.txt"
SENDER = "postmaster@{{ hostname }}"

percent, address = sys.argv[1:3]
with open(TEXT, encoding="utf-8") as template:
    text = string.Template(template.read()).safe_substitute(percent=percent, address=address)
subject, _, body = text.partition("\n\n")
warning = EmailMessage()
warning["From"] = SENDER
warning["To"] = address
warning["Subject"] = subject.removeprefix("Subject:").strip()
warning["Date"] = formatdate(localtime=True)
warning["Message-ID"] = make_msgid(domain="{{ hostname }}")
warning["Auto-Submitted"] = "auto-generated"
warning.set_content(body)
subprocess.run(["/usr/lib/dovecot/dovecot-lda", "-c", "{{ dovecot.config_dir }}/quota-warning-lda.conf", "-d", address,
                "-f", SENDER], input=warning.as_bytes(), check=True)

"""Dovecot's quota_warning script, rendered by mailadmin from deploy/dovecot/quota-warning.py:
`quota-warning.py PERCENT ADDRESS [LANGUAGE]` puts the warning of quota-warning.LANGUAGE.txt
(the owner's stored language, from Dovecot's user_query) or else quota-warning.txt (the panel's
default language) -- a Subject line, a blank line, the body; $percent and $address filled in --
into the owner's INBOX through Dovecot's LDA (quota-warning-lda.conf: the quota not enforced for
it, no Sieve rules)."""
import os
import re
import string
import subprocess
import sys
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

FOLDER = "{{ dovecot.config_dir }}"
SENDER = "postmaster@{{ hostname }}"

percent, address = sys.argv[1:3]
language = sys.argv[3] if len(sys.argv) > 3 else ""
text = f"{FOLDER}/quota-warning.{language}.txt"
if not re.fullmatch(r"[a-z]{2}(-[a-z]+)?", language) or not os.path.exists(text):
    text = f"{FOLDER}/quota-warning.txt"
with open(text, encoding="utf-8") as template:
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

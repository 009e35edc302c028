"""The Sieve script "mailadmin" of a mailbox: its owner's auto-reply and forwarding.

Dovecot runs it at delivery after the spam step and before the user's own active script
(`sieve_before2` in deploy/dovecot/dovecot.conf), so scripts the user keeps in Roundcube are
never touched.  Spam filed into Junk is neither answered nor forwarded (the spam step stops).
Forwarding without a copy cancels the delivery into the mailbox, and with it the user's script.
"""
from domains import mailserver

HEADER = "# Written by mailadmin's self-service pages: changes made here are replaced at the next save there.\n"


def quoted(text: str) -> str:
    """A Sieve quoted string (RFC 5228 2.4.2): backslash and double quote escaped, CRLF lines."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\\", "\\\\").replace('"', '\\"')
    return '"' + text.replace("\n", "\r\n") + '"'


def render(rules) -> str:
    lines, extensions = [], []
    if rules.vacation_active:
        extensions.append("vacation")
        reply = (f"vacation :days {rules.vacation_days} :subject {quoted(rules.vacation_subject)} "
                 f"{quoted(rules.vacation_text)};")
        period = []
        if rules.vacation_start:
            period.append(f'currentdate :value "ge" "date" "{rules.vacation_start.isoformat()}"')
        if rules.vacation_end:
            period.append(f'currentdate :value "le" "date" "{rules.vacation_end.isoformat()}"')
        if period:
            extensions += ["date", "relational"]
            lines += [f"if allof({', '.join(period)}) {{", f"  {reply}", "}"]
        else:
            lines.append(reply)
    for address in rules.forward_to:
        if rules.forward_keep_copy:
            extensions.append("copy")
        lines.append(f"redirect{' :copy' if rules.forward_keep_copy else ''} {quoted(address)};")
    if not lines:
        return HEADER + "# No auto-reply, no forwarding.\n"
    required = ", ".join(quoted(name) for name in dict.fromkeys(extensions))
    return HEADER + (f"require [{required}];\n" if required else "") + "\n".join(lines) + "\n"


def put(address: str, script: str) -> None:
    """Stores the script for the mailbox through Dovecot, which compiles it (raises
    MailServerError with Dovecot's reason if it does not).  The user's active script stays active."""
    mailserver.put_sieve_script(address, script)

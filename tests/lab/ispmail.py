"""An ISPmail server set up by hand on a lab host, as the tutorial's Bookworm edition has it
(workaround.org/ispmail-bookworm): Debian's Postfix as an Internet site with the tutorial's
mysql-*.cf maps and LMTP to Dovecot, Dovecot with the tutorial's conf.d changes and its
dovecot-sql.conf.ext, the `mailserver` database with the tutorial's tables, rows and accounts
(`mailadmin` for administration, `mailserver` for the daemons' reads), mail stored in
/var/vmail/<domain>/<local part>/Maildir.

The schema, the sample rows and the queries are the edition's (tests/adoption/editions.py).
The commands run inside the host (nsenter), as root, as the tutorial types them; its files are
edited where the tutorial edits them.
"""
from dataclasses import dataclass

from tests.adoption import editions

EDITION = "bookworm"
DATABASE = "mailserver"
ADMIN_USER, ADMIN_PASSWORD = "mailadmin", "tutorial-admin-secret"   # 'mailadmin'@'localhost': all rights
SERVER_USER, SERVER_PASSWORD = "mailserver", "tutorial-server-secret"  # 'mailserver'@'127.0.0.1': SELECT
VMAIL = "/var/vmail"


@dataclass(frozen=True)
class Account:
    address: str
    password: str
    scheme: str  # how its hash in virtual_users begins


# The edition's sample mailboxes (Roundcube's {CRYPT}$2y$ hashes), and one added the tutorial's
# way, with a hash from `doveadm pw -s BLF-CRYPT`.
SAMPLE_ACCOUNTS = [Account(address, editions.PASSWORD, "{CRYPT}")
                   for address in ("john@example.org", "jane@example.org", "bob@example.net")]
BLF_ACCOUNT = Account("kim@example.org", "kim's tutorial password", "{BLF-CRYPT}")
ACCOUNTS = [*SAMPLE_ACCOUNTS, BLF_ACCOUNT]
# The edition's aliases that deliver to mailboxes here (friends@example.net leaves for remote.test).
ALIASES = {"info@example.org": ["john@example.org", "jane@example.org"],
           "postmaster@example.org": ["john@example.org"]}
CATCH_ALL = ("@example.net", "bob@example.net")

MAIN_CF = """\
# Debian's "Internet Site" (dpkg-reconfigure postfix) for mx.example.net
smtpd_banner = $myhostname ESMTP $mail_name (Debian/GNU)
biff = no
append_dot_mydomain = no
readme_directory = no
compatibility_level = 3.6
smtpd_tls_cert_file=/etc/ssl/certs/ssl-cert-snakeoil.pem
smtpd_tls_key_file=/etc/ssl/private/ssl-cert-snakeoil.key
smtpd_tls_security_level=may
smtp_tls_CApath=/etc/ssl/certs
smtp_tls_security_level=may
smtp_tls_session_cache_database = btree:${data_directory}/smtp_scache
smtpd_relay_restrictions = permit_mynetworks permit_sasl_authenticated defer_unauth_destination
myhostname = mx.example.net
alias_maps = hash:/etc/aliases
alias_database = hash:/etc/aliases
myorigin = /etc/mailname
mydestination = $myhostname, localhost
relayhost =
mynetworks = 127.0.0.0/8 [::ffff:127.0.0.0]/104 [::1]/128
mailbox_size_limit = 0
recipient_delimiter = +
inet_interfaces = all
inet_protocols = all
"""

SUBMISSION = ["syslog_name=postfix/submission", "smtpd_tls_security_level=encrypt", "smtpd_sasl_auth_enable=yes",
              "smtpd_tls_auth_only=yes", "smtpd_reject_unlisted_recipient=no",
              "smtpd_relay_restrictions=permit_sasl_authenticated,reject", "milter_macro_daemon_name=ORIGINATING"]


def sql(host, statements, database=None):
    """SQL as MariaDB's root (over the socket, as root of the host); rows as lists of strings."""
    done = host.run("mariadb", "-N", "-B", *([database] if database else []), input=statements)
    return [line.split("\t") for line in done.stdout.splitlines()]


def edit(host, path, *replacements):
    """The tutorial's edits of a Debian default file: each (old, new) must be found once."""
    target = host.path(path)
    text = target.read_text()
    for old, new in replacements:
        assert text.count(old) == 1, f"{path}: {old!r} not found once"
        text = text.replace(old, new)
    target.write_text(text)


def set_up(host, cert, key):
    """The whole server: database, mail store, Postfix, Dovecot; both restarted and checked."""
    database(host)
    host.run("sh", "-c", f"mkdir -p {VMAIL} && chown vmail:vmail {VMAIL} && chmod u=rwx,g=rx,o= {VMAIL}")
    postfix(host, cert, key)
    dovecot(host, cert, key)
    host.run("systemctl", "restart", "postfix", "dovecot", timeout=60)
    # The tutorial's own checks: Postfix's maps and Dovecot's password lookup.
    mailbox_map = "mysql:/etc/postfix/mysql-virtual-mailbox-maps.cf"
    assert host.run("postmap", "-q", "john@example.org", mailbox_map).stdout.strip() == "1"
    for account in ACCOUNTS:
        host.run("doveadm", "auth", "test", account.address, account.password)


def database(host):
    sql(host, f"""
CREATE DATABASE {DATABASE};
CREATE USER '{ADMIN_USER}'@'localhost' IDENTIFIED BY '{ADMIN_PASSWORD}';
GRANT ALL ON {DATABASE}.* TO '{ADMIN_USER}'@'localhost';
CREATE USER '{SERVER_USER}'@'127.0.0.1' IDENTIFIED BY '{SERVER_PASSWORD}';
GRANT SELECT ON {DATABASE}.* TO '{SERVER_USER}'@'127.0.0.1';
""")
    sql(host, editions.schema(EDITION) + editions.sample_rows(EDITION), DATABASE)
    hashed = host.run("doveadm", "pw", "-s", "BLF-CRYPT", "-p", BLF_ACCOUNT.password).stdout.strip()
    assert hashed.startswith(BLF_ACCOUNT.scheme), hashed
    sql(host, "INSERT INTO virtual_users (domain_id, email, password) SELECT id, "
              f"'{BLF_ACCOUNT.address}', '{hashed}' FROM virtual_domains WHERE name='example.org';", DATABASE)


def postfix(host, cert, key):
    host.write("/etc/mailname", "mx.example.net\n")
    host.write("/etc/postfix/main.cf", MAIN_CF)
    host.run("cp", "/usr/share/postfix/master.cf.dist", "/etc/postfix/master.cf")
    host.run("newaliases")
    for name, query in editions.POSTFIX_QUERIES.items():
        host.write(f"/etc/postfix/{name}", f"user = {SERVER_USER}\npassword = {SERVER_PASSWORD}\nhosts = 127.0.0.1\n"
                                            f"dbname = {DATABASE}\nquery = {query}\n")
    host.run("sh", "-c", "chgrp postfix /etc/postfix/mysql-*.cf && chmod u=rw,g=r,o= /etc/postfix/mysql-*.cf")
    host.run("postconf",
             "virtual_mailbox_domains=mysql:/etc/postfix/mysql-virtual-mailbox-domains.cf",
             "virtual_mailbox_maps=mysql:/etc/postfix/mysql-virtual-mailbox-maps.cf",
             "virtual_alias_maps=mysql:/etc/postfix/mysql-virtual-alias-maps.cf,mysql:/etc/postfix/mysql-email2email.cf",
             "virtual_transport=lmtp:unix:private/dovecot-lmtp",
             "smtpd_sasl_type=dovecot", "smtpd_sasl_path=private/auth",
             "smtpd_sender_login_maps=mysql:/etc/postfix/mysql-email2email.cf",
             f"smtpd_tls_cert_file={cert}", f"smtpd_tls_key_file={key}", "smtpd_tls_auth_only=yes")
    host.run("postconf", "-M", "submission/inet=submission inet n - y - - smtpd")
    for option in SUBMISSION:
        host.run("postconf", "-P", f"submission/inet/{option}")
    host.run("postfix", "check")


def dovecot(host, cert, key):
    conf = "/etc/dovecot/conf.d"
    edit(host, f"{conf}/10-auth.conf", ("\nauth_mechanisms = plain\n", "\nauth_mechanisms = plain login\n"),
         ("\n!include auth-system.conf.ext", "\n#!include auth-system.conf.ext"),
         ("\n#!include auth-sql.conf.ext", "\n!include auth-sql.conf.ext"))
    edit(host, f"{conf}/10-mail.conf",
         ("\nmail_location = mbox:~/mail:INBOX=/var/mail/%u", "\nmail_location = maildir:~/Maildir"),
         ("#mail_plugins = \n", "mail_plugins = quota\n"))
    edit(host, f"{conf}/10-master.conf",
         ("  unix_listener lmtp {\n    #mode = 0666\n  }",
          "  unix_listener /var/spool/postfix/private/dovecot-lmtp {\n    group = postfix\n    mode = 0600\n"
          "    user = postfix\n  }"),
         ("  #unix_listener /var/spool/postfix/private/auth {\n  #  mode = 0666\n  #}",
          "  unix_listener /var/spool/postfix/private/auth {\n    mode = 0660\n    user = postfix\n"
          "    group = postfix\n  }"))
    edit(host, f"{conf}/10-ssl.conf", ("\nssl = yes\n", "\nssl = required\n"),
         ("ssl_cert = </etc/dovecot/private/dovecot.pem", f"ssl_cert = <{cert}"),
         ("ssl_key = </etc/dovecot/private/dovecot.key", f"ssl_key = <{key}"))
    edit(host, f"{conf}/20-lmtp.conf", ("  #mail_plugins = $mail_plugins\n", "  mail_plugins = $mail_plugins sieve\n"))
    quota = host.path(f"{conf}/90-quota.conf")
    quota.write_text(quota.read_text() + "\nplugin {\n  quota = count:User quota\n  quota_vsizes = yes\n}\n")
    uid, gid = (host.run("id", flag, "vmail").stdout.strip() for flag in ("-u", "-g"))
    lines = ["driver = mysql",
             f"connect = host=127.0.0.1 dbname={DATABASE} user={SERVER_USER} password={SERVER_PASSWORD}"]
    lines += [f"{name} = {value.format(vmail=VMAIL, uid=uid, gid=gid)}"
              for name, value in editions.dovecot_sql(EDITION).items()]
    host.write("/etc/dovecot/dovecot-sql.conf.ext", "\n".join(lines) + "\n", mode=0o640)
    host.run("chgrp", "dovecot", "/etc/dovecot/dovecot-sql.conf.ext")


def users(host):
    """virtual_users as the daemons read it: (id, email, password) rows."""
    return sql(host, "SELECT id, email, password FROM virtual_users ORDER BY id", DATABASE)

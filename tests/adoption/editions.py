"""The ISPmail tutorial's editions as their servers hold them: schema, sample rows with each
edition's hash scheme, and the Postfix and Dovecot queries each edition configures."""
import bcrypt
from passlib.hash import sha256_crypt

PASSWORD = "summer sun 2016"


def _bcrypt() -> str:
    """A $2y$ hash at cost 5, as the Buster edition's `doveadm pw -s BLF-CRYPT` wrote them."""
    return "$2y$" + bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(5)).decode()[4:]


SHA256 = "{SHA256-CRYPT}" + sha256_crypt.using(rounds=5000).hash(PASSWORD)
HASHES = {
    "jessie": SHA256,
    "stretch": SHA256,
    "buster": "{BLF-CRYPT}" + _bcrypt(),
    "bullseye": "{CRYPT}" + _bcrypt(),   # written by Roundcube's password plugin
    "bookworm": "{CRYPT}" + _bcrypt(),
}
EDITIONS = tuple(HASHES)


def has_quota(edition: str) -> bool:
    """The quota column came with the Buster edition."""
    return edition not in ("jessie", "stretch")


def schema(edition: str) -> str:
    password_length = 106 if edition == "jessie" else 150
    quota = "`quota` int(11) NOT NULL DEFAULT 0," if has_quota(edition) else ""
    return f"""
CREATE TABLE `virtual_domains` (
  `id` int(11) NOT NULL auto_increment,
  `name` varchar(50) NOT NULL,
  PRIMARY KEY (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8;
CREATE TABLE `virtual_users` (
  `id` int(11) NOT NULL auto_increment,
  `domain_id` int(11) NOT NULL,
  `password` varchar({password_length}) NOT NULL,
  `email` varchar(100) NOT NULL,
  {quota}
  PRIMARY KEY (`id`),
  UNIQUE KEY `email` (`email`),
  FOREIGN KEY (domain_id) REFERENCES virtual_domains(id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8;
CREATE TABLE `virtual_aliases` (
  `id` int(11) NOT NULL auto_increment,
  `domain_id` int(11) NOT NULL,
  `source` varchar(100) NOT NULL,
  `destination` varchar(100) NOT NULL,
  PRIMARY KEY (`id`),
  FOREIGN KEY (domain_id) REFERENCES virtual_domains(id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8;
"""


def sample_rows(edition: str) -> str:
    """The tutorial's plain-SQL administration: a few domains, mailboxes and aliases."""
    hashed = HASHES[edition]
    users = [("1", "john@example.org", 2**30), ("1", "jane@example.org", 0), ("2", "bob@example.net", 0)]
    columns = "domain_id, password, email" + (", quota" if has_quota(edition) else "")
    values = ", ".join(f"({domain_id}, '{hashed}', '{email}'" + (f", {quota})" if has_quota(edition) else ")")
                       for domain_id, email, quota in users)
    return f"""
INSERT INTO virtual_domains (name) VALUES ('example.org'), ('example.net');
INSERT INTO virtual_users ({columns}) VALUES {values};
INSERT INTO virtual_aliases (domain_id, source, destination) VALUES
  (1, 'info@example.org', 'john@example.org'), (1, 'info@example.org', 'jane@example.org'),
  (1, 'postmaster@example.org', 'john@example.org'), (2, '@example.net', 'bob@example.net'),
  (2, 'friends@example.net', 'someone@remote.test');
"""


# The Postfix maps every edition configures (mysql-virtual-*.cf), by file name.
POSTFIX_QUERIES = {
    "mysql-virtual-mailbox-domains.cf": "SELECT 1 FROM virtual_domains WHERE name='%s'",
    "mysql-virtual-mailbox-maps.cf": "SELECT 1 FROM virtual_users WHERE email='%s'",
    "mysql-virtual-alias-maps.cf": "SELECT destination FROM virtual_aliases WHERE source='%s'",
    "mysql-email2email.cf": "SELECT email FROM virtual_users WHERE email='%s'",
}


def dovecot_sql(edition: str) -> dict[str, str]:
    """The edition's dovecot-sql.conf.ext settings (Jessie and Stretch used a static userdb)."""
    scheme = {"jessie": "SHA256-CRYPT", "stretch": "SHA256-CRYPT", "buster": "BLF-CRYPT"}.get(edition, "CRYPT")
    queries = {"default_pass_scheme": scheme,
               "password_query": "SELECT email as user, password FROM virtual_users WHERE email='%u';"}
    if has_quota(edition):
        queries["user_query"] = ("SELECT email as user, concat('*:bytes=', quota) AS quota_rule, "
                                 "'{vmail}/%d/%n' AS home, {uid} AS uid, {gid} AS gid "
                                 "FROM virtual_users WHERE email='%u';")
    return queries

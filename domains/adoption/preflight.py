"""Read-only checks of an existing ISPmail database before the panel adopts its tables.

Each check returns Findings: what is wrong, the rows concerned and SQL that fixes it.  A
blocking finding would make the migration fail or change what a row means (a unique key that
cannot be built, a value that does not fit, a password the panel cannot read); a warning is
kept as it is but worth knowing.  Comparisons use the panel's address collation, as the
adopted columns will.
"""
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError

from domains import passwords
from domains.addresses import (
    normalize_address,
    normalize_alias_source,
    normalize_domain,
    normalize_mailbox_address,
)
from domains.totals import trigger_blocker

BLOCKING, WARNING = "blocking", "warning"
TABLES = ("virtual_domains", "virtual_users", "virtual_aliases")
REQUIRED_COLUMNS = {
    "virtual_domains": {"id", "name"},
    "virtual_users": {"id", "domain_id", "password", "email"},
    "virtual_aliases": {"id", "domain_id", "source", "destination"},
}
# Longest value of each address column once adopted (the panel's models).
TARGET_LENGTHS = {("virtual_domains", "name"): 253, ("virtual_users", "email"): 254,
                  ("virtual_users", "password"): 255, ("virtual_aliases", "source"): 254,
                  ("virtual_aliases", "destination"): 254}
# A hash without a {SCHEME} prefix, as the tutorial's older ENCRYPT() examples wrote them
# (Dovecot reads them with its default_pass_scheme): the prefix that says the same.
BARE_HASH_SCHEMES = {"$6$": "SHA512-CRYPT", "$5$": "SHA256-CRYPT", "$2y$": "BLF-CRYPT", "$2b$": "BLF-CRYPT",
                     "$2a$": "BLF-CRYPT"}
LISTED = 20  # rows shown per finding


@dataclass
class Finding:
    severity: str
    title: str
    rows: list[str] = field(default_factory=list)
    fix: list[str] = field(default_factory=list)
    count: int = 0


@dataclass
class Report:
    database: str
    counts: dict[str, int] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    adopted: bool = False
    empty: bool = False

    @property
    def blocking(self) -> list[Finding]:
        return [finding for finding in self.findings if finding.severity == BLOCKING]


def _ids(values) -> str:
    return ", ".join(str(value) for value in values)


class Preflight:
    def __init__(self, connection):
        self.connection = connection
        self.collation = settings.ADDRESS_COLLATION

    def rows(self, sql, params=()):
        with self.connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    def key(self, expression: str) -> str:
        """The expression as the adopted column will compare it."""
        return f"CONVERT({expression} USING utf8mb4) COLLATE {self.collation}"

    def columns(self, table) -> dict[str, tuple]:
        return {row[0]: row[1:] for row in self.rows(
            "SELECT COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, COLUMN_DEFAULT, EXTRA FROM information_schema.COLUMNS"
            " WHERE TABLE_SCHEMA=DATABASE() AND TABLE_NAME=%s", (table,))}

    def run(self) -> Report:
        report = Report(database=self.rows("SELECT DATABASE()")[0][0])
        present = {row[0]: row[1] for row in self.rows(
            "SELECT TABLE_NAME, ENGINE FROM information_schema.TABLES WHERE TABLE_SCHEMA=DATABASE()"
            " AND TABLE_NAME IN ('virtual_domains', 'virtual_users', 'virtual_aliases', 'django_migrations')")}
        if "django_migrations" in present and self.rows(
                "SELECT 1 FROM django_migrations WHERE app='domains' AND name='0001_initial'"):
            report.adopted = True
            return report
        missing = [table for table in TABLES if table not in present]
        if len(missing) == len(TABLES):
            report.empty = True
            return report
        if missing:
            report.findings.append(Finding(BLOCKING, "ISPmail tables missing (some are here, not all)",
                                           rows=missing, count=len(missing),
                                           fix=["Create them as your edition of the tutorial does, then run "
                                                "adopt_check again."]))
            return report
        for table in TABLES:
            report.counts[table] = self.rows(f"SELECT COUNT(*) FROM {table}")[0][0]
        checks = (self.structure, self.engines, self.duplicate_domains, self.duplicate_mailboxes,
                  self.duplicate_aliases, self.orphans, self.foreign_addresses, self.lengths, self.quotas,
                  self.hashes, self.non_canonical, self.trigger_rights)
        self.present = present
        for check in checks:
            found = check()
            report.findings.extend(finding for finding in found if finding.count)
            if check is self.structure and report.blocking:
                break  # the other checks read those columns
        return report

    # --- the checks ---

    def structure(self):
        findings = []
        for table, required in REQUIRED_COLUMNS.items():
            columns = self.columns(table)
            absent = sorted(required - set(columns))
            findings.append(Finding(BLOCKING, f"{table} lacks columns the daemons' queries use", rows=absent,
                                    count=len(absent), fix=["This is not an ISPmail table; adopt it by hand."]))
            # A column of its own, NOT NULL without a default, would refuse the panel's INSERTs.
            strict = [name for name, (column_type, nullable, default, extra) in columns.items()
                      if name not in required and name not in _panel_columns(table) and nullable == "NO"
                      and default is None and "auto_increment" not in extra and "GENERATED" not in extra.upper()]
            findings.append(Finding(
                BLOCKING, f"{table} has NOT NULL columns without a default, which the panel does not fill",
                rows=strict, count=len(strict),
                fix=[f"ALTER TABLE {table} ALTER COLUMN {name} SET DEFAULT <value>;" for name in strict]))
        return findings

    def engines(self):
        other = [f"{table}: {engine}" for table, engine in self.present.items()
                 if table in TABLES and engine != "InnoDB"]
        return [Finding(BLOCKING, "tables not in InnoDB (no foreign keys, no transactions)", rows=other,
                        count=len(other), fix=[f"ALTER TABLE {row.split(':')[0]} ENGINE=InnoDB;" for row in other])]

    def _duplicates(self, table, columns):
        keys = ", ".join(self.key(column) for column in columns)
        return self.rows(
            f"SELECT GROUP_CONCAT(id ORDER BY id), {', '.join(f'MIN({column})' for column in columns)}"
            f" FROM {table} GROUP BY {keys} HAVING COUNT(*) > 1")

    def duplicate_domains(self):
        finding = Finding(BLOCKING, "duplicate domain names (the panel keeps each domain once: unique key on name)")
        for ids, name in self._duplicates("virtual_domains", ["name"]):
            keep, *others = ids.split(",")
            finding.count += 1
            finding.rows.append(f"{name}: rows {ids}")
            finding.fix += [f"UPDATE virtual_users SET domain_id={keep} WHERE domain_id IN ({_ids(others)});",
                            f"UPDATE virtual_aliases SET domain_id={keep} WHERE domain_id IN ({_ids(others)});",
                            f"DELETE FROM virtual_domains WHERE id IN ({_ids(others)});"]
        return [finding]

    def duplicate_mailboxes(self):
        finding = Finding(BLOCKING, "mailbox addresses that differ only in case (one login, several rows)")
        for ids, email in self._duplicates("virtual_users", ["email"]):
            finding.count += 1
            finding.rows.append(f"{email}: rows {ids}")
            finding.fix.append(f"-- keep the row whose password its owner uses, then: DELETE FROM virtual_users"
                               f" WHERE id IN ({_ids(ids.split(',')[1:])});")
        return [finding]

    def duplicate_aliases(self):
        finding = Finding(BLOCKING, "alias rows repeated (same source and destination; the panel keeps each pair once)")
        for ids, source, destination in self._duplicates("virtual_aliases", ["source", "destination"]):
            finding.count += 1
            finding.rows.append(f"{source} -> {destination}: rows {ids}")
            finding.fix.append(f"DELETE FROM virtual_aliases WHERE id IN ({_ids(ids.split(',')[1:])});")
        return [finding]

    def orphans(self):
        findings = []
        for table, column in (("virtual_users", "email"), ("virtual_aliases", "source")):
            found = self.rows(f"SELECT t.id, t.{column}, t.domain_id FROM {table} t LEFT JOIN virtual_domains d"
                              f" ON d.id=t.domain_id WHERE d.id IS NULL ORDER BY t.id")
            findings.append(Finding(
                BLOCKING, f"{table} rows whose domain_id has no domain", count=len(found),
                rows=[f"row {row_id}: {value} (domain_id {domain_id})" for row_id, value, domain_id in found][:LISTED],
                fix=["-- delete them, or set domain_id to their domain's id:",
                     f"DELETE FROM {table} WHERE id IN ({_ids(row[0] for row in found)});"]))
        return findings

    def foreign_addresses(self):
        findings = []
        for table, column in (("virtual_users", "email"), ("virtual_aliases", "source")):
            domain_part = f"SUBSTRING_INDEX(t.{column}, '@', -1)"
            found = self.rows(
                f"SELECT t.id, t.{column}, d.name, (SELECT o.id FROM virtual_domains o WHERE {self.key('o.name')}"
                f" = {self.key(domain_part)} LIMIT 1) FROM {table} t JOIN virtual_domains d ON d.id=t.domain_id"
                f" WHERE LOCATE('@', t.{column})=0 OR {self.key(domain_part)} <> {self.key('d.name')} ORDER BY t.id")
            fixes = []
            for row_id, value, _, owner in found:
                if owner is not None:
                    fixes.append(f"UPDATE {table} SET domain_id={owner} WHERE id={row_id};")
                else:
                    fixes.append(f"-- row {row_id} ({value}): add its domain (INSERT INTO virtual_domains (name)"
                                 f" VALUES (...)) and set domain_id, or delete the row")
            findings.append(Finding(
                BLOCKING, f"{table} rows whose {column} is not in the row's domain (domain_id)", count=len(found),
                rows=[f"row {row_id}: {value} is in domain {name}" for row_id, value, name, _ in found][:LISTED],
                fix=fixes))
        return findings

    def lengths(self):
        findings = []
        for (table, column), longest in TARGET_LENGTHS.items():
            found = self.rows(f"SELECT id, {column} FROM {table} WHERE CHAR_LENGTH({column}) > %s", (longest,))
            findings.append(Finding(BLOCKING, f"{table}.{column} values longer than {longest} characters",
                                    count=len(found), rows=[f"row {row_id}" for row_id, _ in found][:LISTED],
                                    fix=[f"UPDATE or DELETE rows {_ids(row[0] for row in found)} of {table}"]))
        return findings

    def quotas(self):
        if "quota" not in self.columns("virtual_users"):
            return []
        found = self.rows("SELECT id, email, quota FROM virtual_users WHERE quota < 0")
        return [Finding(BLOCKING, "negative quotas (the panel's quota is 0 = unlimited, or a number of bytes)",
                        count=len(found),
                        rows=[f"row {row_id}: {email} quota {quota}" for row_id, email, quota in found][:LISTED],
                        fix=[f"UPDATE virtual_users SET quota=0 WHERE id IN ({_ids(row[0] for row in found)});"])]

    def hashes(self):
        bare: dict[str, list] = {}
        unknown = []
        for row_id, email, stored in self.rows("SELECT id, email, password FROM virtual_users ORDER BY id"):
            try:
                passwords.scheme_of(stored)
                continue
            except passwords.UnknownSchemeError as error:
                scheme = next((name for prefix, name in BARE_HASH_SCHEMES.items() if stored.startswith(prefix)), None)
                if scheme:
                    bare.setdefault(scheme, []).append((row_id, email))
                else:
                    unknown.append(f"row {row_id}: {email} ({error})")
        fixes = [f"UPDATE virtual_users SET password=CONCAT('{{{scheme}}}', password) WHERE id IN"
                 f" ({_ids(row[0] for row in rows)});" for scheme, rows in bare.items()]
        bare_rows = [f"row {row_id}: {email}" for rows in bare.values() for row_id, email in rows]
        return [
            Finding(BLOCKING, "password hashes without a {SCHEME} prefix (read by Dovecot's default_pass_scheme);"
                              " the prefix says the same thing explicitly", count=len(bare_rows),
                    rows=bare_rows[:LISTED], fix=fixes),
            Finding(BLOCKING, "password hashes in schemes the panel cannot read", count=len(unknown),
                    rows=unknown[:LISTED], fix=["Give these mailboxes new passwords (doveadm pw -s ARGON2ID) "
                                                "before adopting, or delete them."]),
        ]

    def trigger_rights(self):
        """migrate creates the triggers that keep per-domain totals (domains/totals.py)."""
        with self.connection.cursor() as cursor:
            blocker = trigger_blocker(cursor)
        return [Finding(BLOCKING, "this account may not create triggers on this server", count=int(bool(blocker)),
                        rows=[blocker] if blocker else [],
                        fix=["SET GLOBAL log_bin_trust_function_creators = 1;  -- as root, and in the server's"
                             " configuration: log_bin_trust_function_creators = 1"])]

    def non_canonical(self):
        """Values the panel's address rules would refuse or write differently: they keep working
        (the columns compare case-insensitively), but editing them in the panel asks for a fix."""
        findings = []
        for table, column, rule in (("virtual_domains", "name", normalize_domain),
                                    ("virtual_users", "email", normalize_mailbox_address),
                                    ("virtual_aliases", "source", normalize_alias_source),
                                    ("virtual_aliases", "destination", normalize_address)):
            found = []
            for row_id, value in self.rows(f"SELECT id, {column} FROM {table} ORDER BY id"):
                try:
                    canonical = rule(value)
                except ValidationError as error:
                    found.append(f"row {row_id}: {value!r}: {' '.join(error.messages)}")
                    continue
                if canonical != value:
                    found.append(f"row {row_id}: {value!r} (the panel writes {canonical!r})")
            findings.append(Finding(
                WARNING, f"{table}.{column} values outside the panel's address rules (kept as they are)",
                count=len(found), rows=found[:LISTED],
                fix=["-- optional: correct them with UPDATE; for mailboxes, only together with their mail folders"]))
        return findings


def _panel_columns(table) -> set[str]:
    from domains.models import Alias, Domain, Mailbox

    model = {"virtual_domains": Domain, "virtual_users": Mailbox, "virtual_aliases": Alias}[table]
    return {model_field.column for model_field in model._meta.concrete_fields}


def preflight(connection) -> Report:
    return Preflight(connection).run()

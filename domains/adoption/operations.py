"""The initial migration's table operations, which also adopt an existing ISPmail server's tables.

A table that is missing is created as usual.  A table that exists (virtual_domains,
virtual_users, virtual_aliases of any edition) is converted in place, once the pre-flight
finds nothing blocking: address columns to utf8mb4 with the panel's collation and their
longer lengths, `quota` to a 64-bit column (added where the edition has none), the panel's
own columns added with their database defaults, unique keys added.  Every row keeps its id
and values.

Each table takes one ALTER TABLE.  It is tried with ALGORITHM=INPLACE, LOCK=NONE; where
MariaDB cannot convert a column that way (a character set change on an indexed column
rebuilds the table), it runs with LOCK=SHARED: the daemons' SELECTs go on during the
conversion, writes wait for its end.
"""
import copy

from django.conf import settings
from django.db import DatabaseError, migrations

from domains.adoption.preflight import preflight

ER_ALTER_OPERATION_NOT_SUPPORTED = (1845, 1846)
ADDRESS_COLLATION = settings.ADDRESS_COLLATION
FOREIGN_KEYS = {"virtual_users": "virtual_users_domain_id_fk", "virtual_aliases": "virtual_aliases_domain_id_fk"}


class AdoptionBlocked(RuntimeError):
    """The pre-flight found something that would make the adoption fail or change a row."""


def _check_adoptable(connection):
    report = preflight(connection)
    if report.blocking:
        titles = "; ".join(f"{finding.title} ({finding.count})" for finding in report.blocking)
        raise AdoptionBlocked(f"The existing ISPmail tables cannot be adopted yet: {titles}. Nothing was changed. "
                              f"Run `manage.py adopt_check` for the rows and the SQL that fixes them.")


def _column_definition(schema_editor, model, field):
    """The column as a fresh `migrate` creates it, without an inline UNIQUE (added on its own)."""
    plain = copy.copy(field)
    plain._unique = False
    definition, params = schema_editor.column_sql(model, plain, include_default=False)
    check = field.db_parameters(connection=schema_editor.connection)["check"]
    if check:
        definition += " " + schema_editor.sql_check_constraint % {"check": check}
    return definition, params


def alter_online(schema_editor, table: str, clauses: list[str], params: list):
    """One ALTER TABLE, without locking where MariaDB can, else letting readers through."""
    sql = f"ALTER TABLE {schema_editor.quote_name(table)} {', '.join(clauses)}"
    try:
        schema_editor.execute(f"{sql}, ALGORITHM=INPLACE, LOCK=NONE", params)
    except DatabaseError as error:
        if not error.args or error.args[0] not in ER_ALTER_OPERATION_NOT_SUPPORTED:
            raise
        schema_editor.execute(f"{sql}, LOCK=SHARED", params)


def adopt_table(schema_editor, model):
    connection, quote = schema_editor.connection, schema_editor.quote_name
    table = model._meta.db_table
    with connection.cursor() as cursor:
        columns = {column.name for column in connection.introspection.get_table_description(cursor, table)}
        constraints = connection.introspection.get_constraints(cursor, table)
    # New text columns take the table's default: utf8mb4, as in a database the panel created.
    schema_editor.execute(f"ALTER TABLE {quote(table)} DEFAULT CHARACTER SET utf8mb4 COLLATE {ADDRESS_COLLATION}")
    clauses, params = [], []
    for field in model._meta.local_concrete_fields:
        if field.primary_key or field.is_relation:
            continue  # id and domain_id are the same int columns in every edition
        definition, field_params = _column_definition(schema_editor, model, field)
        verb = "MODIFY" if field.column in columns else "ADD COLUMN"
        clauses.append(f"{verb} {quote(field.column)} {definition}")
        params += field_params
        if field.unique and not any(found["unique"] and found["columns"] == [field.column]
                                    for found in constraints.values()):
            clauses.append(f"ADD UNIQUE KEY {quote(field.column)} ({quote(field.column)})")
    for constraint in model._meta.constraints:
        if constraint.name not in constraints:
            fields = ", ".join(quote(model._meta.get_field(name).column) for name in constraint.fields)
            clauses.append(f"ADD CONSTRAINT {quote(constraint.name)} UNIQUE ({fields})")
    alter_online(schema_editor, table, clauses, params)


class AdoptOrCreateModel(migrations.CreateModel):
    """CreateModel for a table an ISPmail server may already have: adopts it when it exists."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        model = to_state.apps.get_model(app_label, self.name)
        connection = schema_editor.connection
        if not self.allow_migrate_model(connection.alias, model):
            return
        if model._meta.db_table not in connection.introspection.table_names():
            super().database_forwards(app_label, schema_editor, from_state, to_state)
            return
        _check_adoptable(connection)
        adopt_table(schema_editor, model)

    def describe(self):
        return f"Create model {self.name}, or adopt its existing ISPmail table"


def _cascading_keys(schema_editor, table):
    """{constraint name: delete rule} of the table's foreign keys from domain_id to virtual_domains."""
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT r.CONSTRAINT_NAME, r.DELETE_RULE FROM information_schema.REFERENTIAL_CONSTRAINTS r"
            " JOIN information_schema.KEY_COLUMN_USAGE k ON k.CONSTRAINT_SCHEMA=r.CONSTRAINT_SCHEMA"
            " AND k.CONSTRAINT_NAME=r.CONSTRAINT_NAME AND k.TABLE_NAME=r.TABLE_NAME"
            " WHERE r.CONSTRAINT_SCHEMA=DATABASE() AND r.TABLE_NAME=%s AND r.REFERENCED_TABLE_NAME='virtual_domains'"
            " AND k.COLUMN_NAME='domain_id'", [table])
        return dict(cursor.fetchall())


def ensure_cascading_foreign_keys(apps, schema_editor):
    """Deleting a domain row in plain SQL removes its mailboxes and aliases, as the tutorial's
    schema does.  The tutorial's own keys (virtual_users_ibfk_1...) already cascade and are kept."""
    quote = schema_editor.quote_name
    for table, name in FOREIGN_KEYS.items():
        keys = _cascading_keys(schema_editor, table)
        if "CASCADE" in keys.values():
            continue
        clauses = [f"DROP FOREIGN KEY {quote(existing)}" for existing in keys]
        clauses.append(f"ADD CONSTRAINT {quote(name)} FOREIGN KEY (domain_id) REFERENCES virtual_domains (id)"
                       " ON DELETE CASCADE")
        schema_editor.execute(f"ALTER TABLE {quote(table)} {', '.join(clauses)}")


def drop_foreign_keys(apps, schema_editor):
    for table, name in FOREIGN_KEYS.items():
        if name in _cascading_keys(schema_editor, table):
            schema_editor.execute(f"ALTER TABLE {schema_editor.quote_name(table)} DROP FOREIGN KEY {name}")

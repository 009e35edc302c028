"""The import and export file formats: CSV and JSON, the same records in both.

A record is a domain, a mailbox or an alias (a source with its destinations):

CSV: one file, one record per row, a header row naming the columns; the `kind` column says
    which (domain, mailbox, alias), `address` holds the domain name, the mailbox address or the
    alias source; `destinations` holds an alias's addresses separated by spaces.  Columns a
    kind does not use are left empty.  A cell that a spreadsheet would run as a formula
    (starting with = + - @, a tab or a carriage return) is written with a leading `'`, and a
    cell that starts with `'` gets one more; reading removes one leading `'`.
JSON: {"format": "mailadmin", "version": 1, "domains": [...], "mailboxes": [...], "aliases": [...]}
    with one object per record (the CSV's column names as keys; `destinations` a list).

Every record carries the line of the file it starts on, for error messages.
"""
import csv
import json
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

KINDS = ("domain", "mailbox", "alias")
DOMAIN_FIELDS = ("description", "active", "max_mailboxes", "max_aliases", "default_quota", "max_quota",
                 "quota_total", "spam_threshold")
MAILBOX_FIELDS = ("password", "password_hash", "quota", "active", "display_name", "spam_threshold", "maildir")
COLUMNS = ("kind", "address", "destinations", *dict.fromkeys(DOMAIN_FIELDS + MAILBOX_FIELDS))
INTEGER_FIELDS = {"max_mailboxes", "max_aliases", "default_quota", "max_quota", "quota_total", "quota"}
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
JSON_SECTIONS = {"domains": "domain", "mailboxes": "mailbox", "aliases": "alias"}


class FileError(ValueError):
    """The file cannot be read at all (not CSV or JSON of this layout); `line` where known."""

    def __init__(self, message: str, line: int | None = None):
        super().__init__(message)
        self.line = line


@dataclass
class Record:
    kind: str
    line: int
    address: str
    values: dict = field(default_factory=dict)
    destinations: list[str] = field(default_factory=list)


# --- reading ---

def read_file(path, file_format: str) -> tuple[list[Record], list[tuple[int, str]]]:
    """The records of a CSV or JSON file, and the problems of the records that could not be read
    (by line; those records are left out).  Raises FileError if the file is not of this layout."""
    records, problems = [], []
    with open(path, encoding="utf-8-sig", newline="") as stream:
        rows = read_csv(stream) if file_format == "csv" else read_json(stream.read())
        for line, values in rows:
            try:
                records.append(make_record(line, values))
            except ValidationError as error:
                problems.extend((line, message) for message in error.messages)
    return records, problems


def _text(value, name):
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValidationError(_("%(name)s must be text."), code="type", params={"name": name})
    return value


def _typed(name: str, value):
    """A field's value from CSV text or a JSON value; '' and null mean "not given" (None)."""
    if value is None or value == "":
        return None
    if name in INTEGER_FIELDS:
        if isinstance(value, str) and value.strip().isdigit():
            return int(value)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise ValidationError(_("%(name)s must be a whole number."), code="type", params={"name": name})
    if name == "active":
        if isinstance(value, bool):
            return value
        if str(value).lower() in ("1", "true", "yes"):
            return True
        if str(value).lower() in ("0", "false", "no"):
            return False
        raise ValidationError(_("active must be 1 or 0 (true or false)."), code="type")
    if name == "spam_threshold":
        try:
            return Decimal(str(value))
        except InvalidOperation as error:
            raise ValidationError(_("spam_threshold must be a number."), code="type") from error
    return _text(value, name)


def make_record(line: int, values) -> Record:
    """A Record from one row or object; raises ValidationError for a wrong kind, field or type
    (or the error the reader found in that row)."""
    if isinstance(values, ValidationError):
        raise values
    kind = values.get("kind")
    if kind not in KINDS:
        raise ValidationError(_("kind must be one of domain, mailbox, alias (found %(kind)r)."), code="kind",
                              params={"kind": kind})
    allowed = {"domain": DOMAIN_FIELDS, "mailbox": MAILBOX_FIELDS, "alias": ()}[kind]
    record = Record(kind=kind, line=line, address=_text(values.get("address"), "address"))
    errors = []
    for name, value in values.items():
        if name in ("kind", "address") or value in (None, ""):
            continue
        if name == "destinations" and kind == "alias":
            items = value.split() if isinstance(value, str) else value
            if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
                errors.append(ValidationError(_("destinations must be a list of addresses."), code="type"))
            else:
                record.destinations = items
        elif name in allowed:
            try:
                record.values[name] = _typed(name, value)
            except ValidationError as error:
                errors.append(error)
        else:
            errors.append(ValidationError(_("%(kind)s entries have no field %(name)r."), code="field",
                                          params={"kind": kind, "name": name}))
    if errors:
        raise ValidationError(errors)
    return record


def _unneutralise(cell: str) -> str:
    return cell[1:] if cell.startswith("'") else cell


def read_csv(stream):
    """Yields (line, values) per data row (a ValidationError for a malformed row); raises
    FileError for a wrong header."""
    reader = csv.reader(stream)
    header = next(reader, None)
    if header is None:
        raise FileError(_("the file is empty"), 1)
    unknown = [name for name in header if name not in COLUMNS]
    if "kind" not in header or "address" not in header or unknown:
        raise FileError(_("the header row must name the columns (kind, address, ...); unknown: %(unknown)s")
                        % {"unknown": unknown}, 1)
    for row in reader:
        if not any(row):
            continue
        if len(row) > len(header):
            yield reader.line_num, ValidationError(_("The row has more cells than the header has columns."))
            continue
        yield reader.line_num, {name: _unneutralise(cell) for name, cell in zip(header, row, strict=False)}


def _line_at(text: str, index: int) -> int:
    return text.count("\n", 0, index) + 1


def read_json(text: str):
    """Yields (line, values) per object of the domains, mailboxes and aliases lists, with the
    line each object starts on; raises FileError for anything else."""
    decoder = json.JSONDecoder()
    try:
        document = decoder.decode(text)
    except json.JSONDecodeError as error:
        raise FileError(_("not valid JSON: %(error)s") % {"error": error.msg}, error.lineno) from error
    if not isinstance(document, dict) or not set(document) <= {"format", "version", *JSON_SECTIONS}:
        raise FileError(_('expected an object with "domains", "mailboxes" and "aliases" lists'), 1)
    for section, kind in JSON_SECTIONS.items():
        items = document.get(section, [])
        if not isinstance(items, list):
            raise FileError(_('"%(section)s" must be a list') % {"section": section}, 1)
        if not items:
            continue
        # Where each object starts: decode the list again element by element from its position.
        start = _section_start(text, section)
        position = text.index("[", start) + 1
        for item in items:
            while text[position] in " \t\r\n,":
                position += 1
            line = _line_at(text, position)
            _object, position = decoder.raw_decode(text, position)
            if not isinstance(item, dict):
                yield line, ValidationError(_("Each entry must be an object."))
                continue
            yield line, {"kind": kind, **item}


def _section_start(text: str, section: str) -> int:
    """The position just after the top-level key `section` (keys inside values are skipped)."""
    decoder = json.JSONDecoder()
    position = text.index("{") + 1
    while True:
        while text[position] in " \t\r\n,":
            position += 1
        key, position = decoder.raw_decode(text, position)
        while text[position] in " \t\r\n:":
            position += 1
        if key == section:
            return position
        _object, position = decoder.raw_decode(text, position)


# --- writing ---

def neutralise(cell: str) -> str:
    """A cell no spreadsheet runs as a formula, read back as it was by read_csv."""
    return f"'{cell}" if cell.startswith((*FORMULA_STARTS, "'")) else cell


def _csv_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, list):
        value = " ".join(value)
    return neutralise(str(value))


def write_csv(stream, records):
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(COLUMNS)
    for record in records:
        row = {"kind": record.kind, "address": record.address, "destinations": record.destinations or None,
               **record.values}
        writer.writerow([_csv_cell(row.get(name)) for name in COLUMNS])


def _json_value(value):
    return str(value) if isinstance(value, Decimal) else value


def write_json(stream, records):
    """One object per line inside each list, so that the file reads and diffs line by line."""
    sections = {section: [] for section in JSON_SECTIONS}
    by_kind = {kind: section for section, kind in JSON_SECTIONS.items()}
    for record in records:
        item = {"address": record.address}
        if record.kind == "alias":
            item["destinations"] = record.destinations
        item.update({name: _json_value(value) for name, value in record.values.items()})
        sections[by_kind[record.kind]].append(item)
    stream.write('{"format": "mailadmin", "version": 1')
    for section, items in sections.items():
        lines = ",\n".join("  " + json.dumps(item, ensure_ascii=False) for item in items)
        stream.write(f',\n"{section}": [\n{lines}\n]' if items else f',\n"{section}": []')
    stream.write("\n}\n")

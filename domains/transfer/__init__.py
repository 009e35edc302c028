"""Import and export of domains, mailboxes and aliases: the file formats (formats.py), what an
export holds (export.py) and the import, all or nothing through the services (importing.py)."""

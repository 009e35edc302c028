"""Adopting the tables of an existing ISPmail server (any edition, Jessie to Bookworm).

`preflight` reads the tables and lists what would stop the migrations (read-only);
`AdoptOrCreateModel` is the initial migration's table operation: it creates a table that is
missing and converts one that exists in place.  See docs/adoption.md.
"""

"""Cursor pages ordered by a unique column: stable under inserts, and as fast at row 1,000,000 as at row 1."""
from rest_framework.pagination import CursorPagination


class KeyedCursor(CursorPagination):
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000


class DomainCursor(KeyedCursor):
    ordering = "name"


class MailboxCursor(KeyedCursor):
    ordering = "email"


class AliasSourceCursor(KeyedCursor):
    ordering = "source"

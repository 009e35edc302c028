"""Cursor pages ordered by a unique column: stable under inserts, and as fast at row 1,000,000 as at row 1."""
from rest_framework import exceptions
from rest_framework.pagination import CursorPagination


class KeyedCursor(CursorPagination):
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000

    def decode_cursor(self, request):
        """A malformed cursor is a bad request (400), not a missing page."""
        try:
            return super().decode_cursor(request)
        except exceptions.NotFound as error:
            raise exceptions.ValidationError({self.cursor_query_param: [str(error.detail)]}) from error


class DomainCursor(KeyedCursor):
    ordering = "name"


class MailboxCursor(KeyedCursor):
    ordering = "email"


class AliasSourceCursor(KeyedCursor):
    ordering = "source"

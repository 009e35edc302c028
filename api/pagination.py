"""Cursor pages ordered by a unique column: stable under inserts, and as fast at row 1,000,000 as at row 1."""
import re

from rest_framework import exceptions
from rest_framework.pagination import CursorPagination

# What a page's `next` and `previous` links carry: DRF's cursor, base64 of a short query string.
CURSOR_PATTERN = r"^[A-Za-z0-9+/]+={0,2}$"
CURSOR_MAX_LENGTH = 1000


class InvalidCursor(exceptions.ValidationError):
    problem_code = "invalid_cursor"  # the problem's `code` (api/errors.py)


class KeyedCursor(CursorPagination):
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000

    def decode_cursor(self, request):
        """A malformed cursor, or an empty one, is a bad request (400), not a missing page."""
        value = request.query_params.get(self.cursor_query_param)
        if value is not None and (not re.fullmatch(CURSOR_PATTERN, value) or len(value) > CURSOR_MAX_LENGTH):
            raise InvalidCursor({self.cursor_query_param: [self.invalid_cursor_message]})
        try:
            return super().decode_cursor(request)
        except exceptions.NotFound as error:
            raise InvalidCursor({self.cursor_query_param: [str(error.detail)]}) from error

    def get_page_size(self, request):
        """A page size outside 1..max_page_size is refused (400), not replaced by another size."""
        value = request.query_params.get(self.page_size_query_param)
        if value is None:
            return self.page_size
        if not re.fullmatch(r"[0-9]{1,7}", value) or not 1 <= int(value) <= self.max_page_size:
            raise exceptions.ValidationError(
                {self.page_size_query_param: [f"A whole number from 1 to {self.max_page_size}."]})
        return int(value)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["description"] = f"Rows per page (default {self.page_size})."
                parameter["schema"].update(minimum=1, maximum=self.max_page_size)
            if parameter["name"] == self.cursor_query_param:
                parameter["description"] = ("Opaque: the value from a page's `next` or `previous` link (base64); "
                                            "any other answers 400 with code `invalid_cursor`.")
                parameter["schema"].update(pattern=CURSOR_PATTERN, maxLength=CURSOR_MAX_LENGTH)
        return parameters


class DomainCursor(KeyedCursor):
    ordering = "name"


class MailboxCursor(KeyedCursor):
    ordering = "email"


class AliasSourceCursor(KeyedCursor):
    ordering = "source"


class AuditCursor(KeyedCursor):
    ordering = "-id"  # newest first; ids grow with time and are unique


class StoredMailCursor(KeyedCursor):
    ordering = "-id"


class ApiKeyCursor(KeyedCursor):
    ordering = "prefix"


class AdminCursor(KeyedCursor):
    ordering = "username"

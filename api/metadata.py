"""What OPTIONS answers: the view's name and description, its media types and the methods it
allows (Allow header). Fields are described by the OpenAPI schema, not here: DRF's default
metadata fetches the named object to describe a PUT, which probes for rows (and our views read
their objects through scoped selectors, not get_object()). So the answer is the same whether the
object exists, is missing or is outside the key's domains."""
from rest_framework.metadata import BaseMetadata

SCHEMA_PATH = "/api/v1/schema/"


class ApiMetadata(BaseMetadata):
    def determine_metadata(self, request, view):
        return {
            "name": view.get_view_name(),
            "description": view.get_view_description(),
            "renders": [renderer.media_type for renderer in view.renderer_classes],
            "parses": [parser.media_type for parser in view.parser_classes],
            "schema": SCHEMA_PATH,
        }

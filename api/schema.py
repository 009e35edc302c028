"""Tells drf-spectacular how API keys are sent, so the schema documents the Bearer scheme."""
from drf_spectacular.extensions import OpenApiAuthenticationExtension


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.ApiKeyAuthentication"
    name = "apiKey"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "bearerFormat": "mak_<prefix>_<secret>",
                "description": "An API key made by a superadmin with `manage.py api_key create`."}

"""How the OpenAPI schema describes the API beyond what the views declare: the Bearer key scheme,
the problem+json answers every operation may give, and the Idempotency-Key header of POSTs."""
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse

from api.errors import PROBLEM_JSON
from api.idempotency import HEADER as IDEMPOTENCY_HEADER
from api.serializers import Problem

PROBLEMS = {
    400: "the body, a filter or the cursor is malformed", 401: "no usable key", 403: "the key may not do this",
    404: "not found, or outside the key's domains",
    409: "exists already, or a request with this Idempotency-Key is in progress (`idempotency_in_progress`)",
    413: "the request body is too large (see DATA_UPLOAD_MAX_MEMORY_SIZE)",
    422: "refused by a rule (or the Idempotency-Key was used for another request: `idempotency_key_reused`)",
    429: "too many requests (see Retry-After)",
    503: "the database, or the mail server for a change it must apply, is unavailable (see Retry-After)",
}
READ_PROBLEMS = (400, 401, 404, 429, 503)


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.ApiKeyAuthentication"
    name = "apiKey"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "bearerFormat": "mak_<prefix>_<secret>",
                "description": "An API key made by a superadmin (panel or `manage.py api_key create`)."}


class ApiAutoSchema(AutoSchema):
    def get_override_parameters(self):
        parameters = super().get_override_parameters()
        if self.method == "POST":
            parameters = [*parameters, OpenApiParameter(
                IDEMPOTENCY_HEADER, {"type": "string", "pattern": "^[ -~]{1,255}$"}, OpenApiParameter.HEADER,
                description="A retry with the same key and body gets the first answer back (kept 24 hours), "
                            "with `Idempotent-Replayed: true`. The same value with another method, path or body "
                            "answers 422 (`idempotency_key_reused`); while the first request runs, 409 "
                            "(`idempotency_in_progress`). 1 to 255 printable ASCII characters.")]
        return parameters

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        codes = READ_PROBLEMS if self.method == "GET" else PROBLEMS
        for code in codes:
            responses[str(code)] = self._get_response_for_code(
                OpenApiResponse(Problem, description=PROBLEMS[code]), str(code), [PROBLEM_JSON], direction)
        return responses

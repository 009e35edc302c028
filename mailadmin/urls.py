from django.urls import include, path

from mailadmin.language import set_language
from mailstack.views import healthz, metrics_view, status_page

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("metrics", metrics_view, name="metrics"),
    path("status/", status_page, name="status"),
    path("language/", set_language, name="set_language"),
    path("", include("accounts.urls")),
    path("", include("domains.urls")),
    path("api/v1/", include("api.urls")),
    path("api-keys/", include("api.panel_urls")),
    path("webhooks/", include("webhooks.panel_urls")),
    path("", include("selfservice.urls")),
]

handler400 = "mailadmin.errors.bad_request"
handler500 = "mailadmin.errors.server_error"

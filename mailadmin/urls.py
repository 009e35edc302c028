from django.urls import include, path

urlpatterns = [
    path("", include("accounts.urls")),
    path("", include("domains.urls")),
]

handler500 = "mailadmin.errors.server_error"

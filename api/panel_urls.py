from django.urls import path

from api import panel_views

urlpatterns = [
    path("", panel_views.api_key_list, name="api_key_list"),
    path("new/", panel_views.api_key_create, name="api_key_create"),
    path("<int:pk>/revoke/", panel_views.api_key_revoke, name="api_key_revoke"),
]

from django.urls import path

from webhooks import panel_views

urlpatterns = [
    path("", panel_views.subscription_list, name="webhook_list"),
    path("new/", panel_views.subscription_create, name="webhook_create"),
    path("<int:pk>/active/", panel_views.subscription_set_active, name="webhook_set_active"),
    path("<int:pk>/delete/", panel_views.subscription_delete, name="webhook_delete"),
]

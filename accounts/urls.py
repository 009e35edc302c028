from django.contrib.auth import views as auth_views
from django.urls import path

from accounts import admin_views, views

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("account/two-factor/", views.two_factor, name="two_factor"),
    path("account/two-factor/setup/", views.two_factor_setup, name="two_factor_setup"),
    path("account/two-factor/verify/", views.two_factor_verify, name="two_factor_verify"),
    path("account/two-factor/recovery-codes/", views.recovery_codes_replace, name="two_factor_recovery_codes"),
    path("account/password/", admin_views.own_password, name="own_password"),
    path("admins/", admin_views.admin_list, name="admin_list"),
    path("admins/new/", admin_views.admin_create, name="admin_create"),
    path("admins/<int:pk>/edit/", admin_views.admin_edit, name="admin_edit"),
    path("admins/<int:pk>/password/", admin_views.admin_password, name="admin_password"),
    path("admins/<int:pk>/delete/", admin_views.admin_delete, name="admin_delete"),
]

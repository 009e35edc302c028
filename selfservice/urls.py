from django.urls import path, re_path

from selfservice import autoconfig, roundcube, views

urlpatterns = [
    path("me/", views.home, name="selfservice_home"),
    path("me/login/", views.sign_in, name="selfservice_login"),
    path("me/logout/", views.sign_out, name="selfservice_logout"),
    path("me/password/", views.password_change, name="selfservice_password"),
    path("me/spam/", views.spam_threshold, name="selfservice_spam"),
    path("me/auto-reply/", views.auto_reply, name="selfservice_auto_reply"),
    path("me/forwarding/", views.forwarding, name="selfservice_forwarding"),
    path("me/mobileconfig/", autoconfig.apple_profile, name="selfservice_apple_profile"),
    # Mail clients setting themselves up (docs/webmail.md).
    path(".well-known/autoconfig/mail/config-v1.1.xml", autoconfig.thunderbird, name="autoconfig_well_known"),
    path("mail/config-v1.1.xml", autoconfig.thunderbird, name="autoconfig"),
    re_path(r"^[Aa]utodiscover/[Aa]utodiscover\.xml$", autoconfig.autodiscover, name="autodiscover"),
    # With or without the trailing slash: a redirect would turn Roundcube's POST into an empty GET.
    re_path(r"^roundcube/password/?$", roundcube.password, name="selfservice_roundcube_password"),
]

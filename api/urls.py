from django.urls import path
from drf_spectacular.views import SpectacularAPIView

from api import views

app_name = "api"

urlpatterns = [
    path("usage/", views.UsageList.as_view(), name="usage"),
    path("domains/", views.DomainList.as_view(), name="domains"),
    path("domains/<str:name>/", views.DomainDetail.as_view(), name="domain"),
    path("domains/<str:name>/usage/", views.DomainUsage.as_view(), name="domain-usage"),
    path("domains/<str:name>/dns/", views.DomainDns.as_view(), name="domain-dns"),
    path("domains/<str:name>/usage/mailboxes/", views.DomainMailboxUsage.as_view(), name="domain-mailbox-usage"),
    path("domains/<str:name>/suspend/", views.DomainSetActive.as_view(active=False), name="domain-suspend"),
    path("domains/<str:name>/resume/", views.DomainSetActive.as_view(active=True), name="domain-resume"),
    path("mailboxes/", views.MailboxList.as_view(), name="mailboxes"),
    path("mailboxes/bulk/", views.MailboxBulkCreate.as_view(), name="mailboxes-bulk"),
    path("mailboxes/<str:address>/", views.MailboxDetail.as_view(), name="mailbox"),
    path("mailboxes/<str:address>/usage/", views.MailboxUsage.as_view(), name="mailbox-usage"),
    path("mailboxes/<str:address>/password/", views.MailboxPassword.as_view(), name="mailbox-password"),
    path("mailboxes/<str:address>/suspend/", views.MailboxSetActive.as_view(active=False), name="mailbox-suspend"),
    path("mailboxes/<str:address>/resume/", views.MailboxSetActive.as_view(active=True), name="mailbox-resume"),
    path("aliases/", views.AliasList.as_view(), name="aliases"),
    path("aliases/bulk/", views.AliasBulkCreate.as_view(), name="aliases-bulk"),
    path("aliases/<str:source>/", views.AliasDetail.as_view(), name="alias"),
    # The description of the API (public: it holds no data) and its documentation page, whose
    # Swagger UI assets the panel serves itself (drf-spectacular-sidecar), never from a CDN.
    path("schema/", SpectacularAPIView.as_view(authentication_classes=[], permission_classes=[]), name="schema"),
    path("docs/", views.ApiDocs.as_view(url_name="api:schema", authentication_classes=[],
                                        permission_classes=[]), name="docs"),
]

from django.urls import path
from drf_spectacular.views import SpectacularAPIView

from api import account_views, views, webhook_views

app_name = "api"

urlpatterns = [
    path("usage/", views.UsageList.as_view(), name="usage"),
    path("domains/", views.DomainList.as_view(), name="domains"),
    path("domains/<str:name>/", views.DomainDetail.as_view(), name="domain"),
    path("domains/<str:name>/usage/", views.DomainUsage.as_view(), name="domain-usage"),
    path("domains/<str:name>/dns/", views.DomainDns.as_view(), name="domain-dns"),
    path("domains/<str:name>/dkim-keys/", views.DkimKeyList.as_view(), name="dkim-keys"),
    path("domains/<str:name>/dkim-keys/<str:selector>/", views.DkimKeyDetail.as_view(), name="dkim-key"),
    path("domains/<str:name>/dkim-keys/<str:selector>/activate/", views.DkimKeyActivate.as_view(),
         name="dkim-key-activate"),
    path("domains/<str:name>/usage/mailboxes/", views.DomainMailboxUsage.as_view(), name="domain-mailbox-usage"),
    path("domains/<str:name>/suspend/", views.DomainSetActive.as_view(active=False), name="domain-suspend"),
    path("domains/<str:name>/resume/", views.DomainSetActive.as_view(active=True), name="domain-resume"),
    path("mailboxes/", views.MailboxList.as_view(), name="mailboxes"),
    path("mailboxes/bulk/", views.MailboxBulkCreate.as_view(), name="mailboxes-bulk"),
    path("mailboxes/bulk/update/", views.MailboxBulkUpdate.as_view(), name="mailboxes-bulk-update"),
    path("mailboxes/bulk/delete/", views.MailboxBulkDelete.as_view(), name="mailboxes-bulk-delete"),
    path("mailboxes/<str:address>/", views.MailboxDetail.as_view(), name="mailbox"),
    path("mailboxes/<str:address>/usage/", views.MailboxUsage.as_view(), name="mailbox-usage"),
    path("mailboxes/<str:address>/password/", views.MailboxPassword.as_view(), name="mailbox-password"),
    path("mailboxes/<str:address>/suspend/", views.MailboxSetActive.as_view(active=False), name="mailbox-suspend"),
    path("mailboxes/<str:address>/resume/", views.MailboxSetActive.as_view(active=True), name="mailbox-resume"),
    path("mailboxes/<str:address>/rename/", views.MailboxRename.as_view(), name="mailbox-rename"),
    path("mailboxes/<str:address>/rules/", views.MailboxRules.as_view(), name="mailbox-rules"),
    path("audit/", views.AuditList.as_view(), name="audit"),
    path("stored-mail/", views.StoredMailList.as_view(), name="stored-mail"),
    path("stored-mail/<str:id>/restore/", views.StoredMailRestore.as_view(), name="stored-mail-restore"),
    path("api-keys/", account_views.ApiKeyList.as_view(), name="api-keys"),
    path("api-keys/<str:prefix>/", account_views.ApiKeyDetail.as_view(), name="api-key"),
    path("admins/", account_views.AdminList.as_view(), name="admins"),
    path("admins/<str:username>/", account_views.AdminDetail.as_view(), name="admin"),
    path("aliases/", views.AliasList.as_view(), name="aliases"),
    path("aliases/bulk/", views.AliasBulkCreate.as_view(), name="aliases-bulk"),
    path("aliases/<str:source>/", views.AliasDetail.as_view(), name="alias"),
    path("webhooks/", webhook_views.WebhookList.as_view(), name="webhooks"),
    path("webhooks/<str:id>/", webhook_views.WebhookDetail.as_view(), name="webhook"),
    path("webhooks/<str:id>/deliveries/", webhook_views.WebhookDeliveries.as_view(), name="webhook-deliveries"),
    # The description of the API (public: it holds no data) and its documentation page, whose
    # Swagger UI assets the panel serves itself (drf-spectacular-sidecar), never from a CDN.
    path("schema/", SpectacularAPIView.as_view(authentication_classes=[], permission_classes=[]), name="schema"),
    path("docs/", views.ApiDocs.as_view(url_name="api:schema", authentication_classes=[],
                                        permission_classes=[]), name="docs"),
]

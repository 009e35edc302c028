from django.urls import path

from domains.views import aliases, audit, domains, mailboxes, mailstore, transfer

urlpatterns = [
    path("", domains.domain_list, name="home"),
    path("domains/new/", domains.domain_create, name="domain_create"),
    path("domains/<int:pk>/", domains.domain_detail, name="domain_detail"),
    path("domains/<int:pk>/edit/", domains.domain_edit, name="domain_edit"),
    path("domains/<int:pk>/delete/", domains.domain_delete, name="domain_delete"),
    path("domains/<int:pk>/dns/", domains.domain_dns, name="domain_dns"),
    path("domains/<int:pk>/dkim/rotate/", domains.dkim_rotate, name="domain_dkim_rotate"),
    path("domains/<int:pk>/dkim/<str:selector>/activate/", domains.dkim_activate, name="domain_dkim_activate"),
    path("domains/<int:pk>/dkim/<str:selector>/retire/", domains.dkim_retire, name="domain_dkim_retire"),
    path("domains/<int:domain_pk>/mailboxes/new/", mailboxes.mailbox_create, name="mailbox_create"),
    path("domains/<int:domain_pk>/aliases/bulk/", aliases.alias_bulk, name="alias_bulk"),
    path("domains/<int:domain_pk>/aliases/new/", aliases.alias_create, name="alias_create"),
    path("domains/<int:domain_pk>/aliases/<str:source>/edit/", aliases.alias_edit, name="alias_edit"),
    path("domains/<int:domain_pk>/aliases/<str:source>/delete/", aliases.alias_delete, name="alias_delete"),
    path("mailboxes/", mailboxes.mailbox_list, name="mailbox_list"),
    path("mailboxes/bulk/", mailboxes.mailbox_bulk, name="mailbox_bulk"),
    path("mailboxes/<int:pk>/edit/", mailboxes.mailbox_edit, name="mailbox_edit"),
    path("mailboxes/<int:pk>/password/", mailboxes.mailbox_password, name="mailbox_password"),
    path("mailboxes/<int:pk>/rename/", mailboxes.mailbox_rename, name="mailbox_rename"),
    path("mailboxes/<int:pk>/delete/", mailboxes.mailbox_delete, name="mailbox_delete"),
    path("stored-mail/", mailstore.mailstore_list, name="mailstore_list"),
    path("stored-mail/<int:pk>/restore/", mailstore.mailstore_restore, name="mailstore_restore"),
    path("audit/", audit.audit_list, name="audit_list"),
    path("transfer/", transfer.transfer, name="transfer"),
    path("transfer/export/", transfer.export, name="export"),
    path("transfer/imports/<int:pk>/", transfer.import_job, name="import_job"),
    path("transfer/imports/<int:pk>/confirm/", transfer.import_confirm, name="import_confirm"),
    path("transfer/imports/<int:pk>/cancel/", transfer.import_cancel, name="import_cancel"),
]

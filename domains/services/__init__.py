"""Every change to domains, mailboxes and aliases: one function per change, in one transaction,
with its audit row.  Web views, the API and management commands all call these."""
from domains.services.aliases import alias_create, alias_delete, alias_set_destinations
from domains.services.bulk import NewAlias, NewMailbox, aliases_create_many, mailboxes_create_many
from domains.services.bulk_changes import aliases_delete_many, mailboxes_delete_many, mailboxes_update_many
from domains.services.dkim import dkim_key_activate, dkim_key_create, dkim_key_retire
from domains.services.domains import domain_create, domain_delete, domain_update
from domains.services.mailboxes import (
    mailbox_create,
    mailbox_delete,
    mailbox_rename,
    mailbox_restore,
    mailbox_set_password,
    mailbox_update,
)

__all__ = [
    "NewAlias", "NewMailbox", "alias_create", "alias_delete", "alias_set_destinations", "aliases_create_many",
    "aliases_delete_many",
    "dkim_key_activate", "dkim_key_create", "dkim_key_retire", "domain_create", "domain_delete", "domain_update",
    "mailbox_create", "mailbox_delete", "mailbox_rename", "mailbox_restore", "mailbox_set_password", "mailbox_update",
    "mailboxes_create_many", "mailboxes_delete_many", "mailboxes_update_many",
]

from django.db import migrations

ADDRESS_COLLATION = "utf8mb4_uca1400_as_ci"


class Migration(migrations.Migration):
    """Indexes that let the domain list sum a domain's quotas and storage from the index alone."""

    dependencies = [("domains", "0005_mailbox_domain_email_index")]

    operations = [
        # The domain of each usage row (Dovecot writes only the username), kept by MariaDB itself.
        migrations.RunSQL(
            sql=f"ALTER TABLE mailbox_usage ADD COLUMN domain VARCHAR(253) COLLATE {ADDRESS_COLLATION}"
                " AS (SUBSTRING_INDEX(username, '@', -1)) STORED,"
                " ADD INDEX mailbox_usage_domain_bytes (domain, bytes)",
            reverse_sql="ALTER TABLE mailbox_usage DROP INDEX mailbox_usage_domain_bytes, DROP COLUMN domain",
        ),
        migrations.RunSQL(
            sql="CREATE INDEX virtual_users_domain_quota ON virtual_users (domain_id, quota)",
            reverse_sql="DROP INDEX virtual_users_domain_quota ON virtual_users",
        ),
    ]

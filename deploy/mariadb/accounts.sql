-- MariaDB accounts for mailadmin, rendered from deploy/mariadb/accounts.sql.  Least privilege:
-- the panel reads and writes its database; Postfix may SELECT only the columns its maps use
-- (never the password column); Dovecot may SELECT the tables it reads.  Run after migrate:
-- column grants need the tables to exist.
CREATE DATABASE IF NOT EXISTS `{{ db.name }}` CHARACTER SET utf8mb4 COLLATE {{ db.collation }};
CREATE USER IF NOT EXISTS '{{ db.panel_user }}'@'{{ db.client_host }}' IDENTIFIED BY '{{ db.panel_password }}';
ALTER USER '{{ db.panel_user }}'@'{{ db.client_host }}' IDENTIFIED BY '{{ db.panel_password }}';
GRANT ALL PRIVILEGES ON `{{ db.name }}`.* TO '{{ db.panel_user }}'@'{{ db.client_host }}';
{% for host in db.postfix_hosts %}CREATE USER IF NOT EXISTS '{{ db.postfix_user }}'@'{{ host }}' IDENTIFIED BY '{{ db.postfix_password }}';
ALTER USER '{{ db.postfix_user }}'@'{{ host }}' IDENTIFIED BY '{{ db.postfix_password }}';
{% endfor %}CREATE USER IF NOT EXISTS '{{ db.dovecot_user }}'@'{{ db.client_host }}' IDENTIFIED BY '{{ db.dovecot_password }}';
ALTER USER '{{ db.dovecot_user }}'@'{{ db.client_host }}' IDENTIFIED BY '{{ db.dovecot_password }}';
-- DKIM private keys, in a database beside the panel's (whose database-wide ALL cannot exclude a
-- column): the panel may add and delete keys but never read one back; the signer reads them
-- through the views of daemon-grants.sql (docs/dkim.md).
CREATE DATABASE IF NOT EXISTS `{{ db.dkim_name }}` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
CREATE TABLE IF NOT EXISTS `{{ db.dkim_name }}`.dkim_private_keys (
  key_id INT NOT NULL PRIMARY KEY, private_key TEXT NOT NULL) ENGINE=InnoDB;
GRANT INSERT, DELETE, SELECT (key_id) ON `{{ db.dkim_name }}`.dkim_private_keys TO '{{ db.panel_user }}'@'{{ db.client_host }}';
CREATE USER IF NOT EXISTS '{{ db.dkim_user }}'@'{{ db.client_host }}' IDENTIFIED BY '{{ db.dkim_password }}';
ALTER USER '{{ db.dkim_user }}'@'{{ db.client_host }}' IDENTIFIED BY '{{ db.dkim_password }}';
{% if db.replicas %}-- Replicas follow the primary with this account (MariaDB replication); it can read the binary log only.
CREATE USER IF NOT EXISTS '{{ db.replication_user }}'@'%' IDENTIFIED BY '{{ db.replication_password }}';
ALTER USER '{{ db.replication_user }}'@'%' IDENTIFIED BY '{{ db.replication_password }}';
GRANT REPLICATION SLAVE ON *.* TO '{{ db.replication_user }}'@'%';
{% endif %}
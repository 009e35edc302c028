-- Grants for the daemons' accounts, rendered from deploy/mariadb/daemon-grants.sql (after migrate).
{% for host in db.postfix_hosts %}GRANT SELECT (id, name, active) ON `{{ db.name }}`.virtual_domains TO '{{ db.postfix_user }}'@'{{ host }}';
GRANT SELECT (id, domain_id, email, active) ON `{{ db.name }}`.virtual_users TO '{{ db.postfix_user }}'@'{{ host }}';
GRANT SELECT (domain_id, source, destination) ON `{{ db.name }}`.virtual_aliases TO '{{ db.postfix_user }}'@'{{ host }}';
{% endfor %}GRANT SELECT ON `{{ db.name }}`.virtual_domains TO '{{ db.dovecot_user }}'@'{{ db.client_host }}';
GRANT SELECT ON `{{ db.name }}`.virtual_users TO '{{ db.dovecot_user }}'@'{{ db.client_host }}';
GRANT SELECT, INSERT, UPDATE ON `{{ db.name }}`.mailbox_usage TO '{{ db.dovecot_user }}'@'{{ db.client_host }}';
GRANT SELECT (mailbox_id, language) ON `{{ db.name }}`.mailadmin_mailbox_rules TO '{{ db.dovecot_user }}'@'{{ db.client_host }}';
-- The DKIM signer (OpenDKIM's SigningTable and KeyTable): the signing key of each domain, and
-- each published key with its private half.  The views run with their definer's (root's) rights,
-- so the signer's account needs no grant on the panel's tables.
-- OpenDKIM signs with one algorithm per instance and reads one key per domain from a signing
-- table, so the optional Ed25519 signature has a signer (and signing table) of its own.
CREATE OR REPLACE SQL SECURITY DEFINER VIEW `{{ db.dkim_name }}`.dkim_signing AS
  SELECT d.name AS domain, k.id AS key_id FROM `{{ db.name }}`.dkim_keys k
  JOIN `{{ db.name }}`.virtual_domains d ON d.id = k.domain_id
  WHERE k.signing = 1 AND k.retired IS NULL AND k.algorithm = 'rsa';
CREATE OR REPLACE SQL SECURITY DEFINER VIEW `{{ db.dkim_name }}`.dkim_signing_ed25519 AS
  SELECT d.name AS domain, k.id AS key_id FROM `{{ db.name }}`.dkim_keys k
  JOIN `{{ db.name }}`.virtual_domains d ON d.id = k.domain_id
  WHERE k.signing = 1 AND k.retired IS NULL AND k.algorithm = 'ed25519';
CREATE OR REPLACE SQL SECURITY DEFINER VIEW `{{ db.dkim_name }}`.dkim_key_table AS
  SELECT k.id AS key_id, d.name AS domain, k.selector, p.private_key FROM `{{ db.name }}`.dkim_keys k
  JOIN `{{ db.name }}`.virtual_domains d ON d.id = k.domain_id
  JOIN `{{ db.dkim_name }}`.dkim_private_keys p ON p.key_id = k.id WHERE k.retired IS NULL;
GRANT SELECT ON `{{ db.dkim_name }}`.dkim_signing TO '{{ db.dkim_user }}'@'{{ db.client_host }}';
GRANT SELECT ON `{{ db.dkim_name }}`.dkim_signing_ed25519 TO '{{ db.dkim_user }}'@'{{ db.client_host }}';
GRANT SELECT ON `{{ db.dkim_name }}`.dkim_key_table TO '{{ db.dkim_user }}'@'{{ db.client_host }}';

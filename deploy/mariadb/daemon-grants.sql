-- Grants for the daemons' accounts, rendered from deploy/mariadb/daemon-grants.sql (after migrate).
{% for host in db.postfix_hosts %}GRANT SELECT (id, name, active) ON `{{ db.name }}`.virtual_domains TO '{{ db.postfix_user }}'@'{{ host }}';
GRANT SELECT (id, domain_id, email, active) ON `{{ db.name }}`.virtual_users TO '{{ db.postfix_user }}'@'{{ host }}';
GRANT SELECT (domain_id, source, destination) ON `{{ db.name }}`.virtual_aliases TO '{{ db.postfix_user }}'@'{{ host }}';
{% endfor %}GRANT SELECT ON `{{ db.name }}`.virtual_domains TO '{{ db.dovecot_user }}'@'{{ db.client_host }}';
GRANT SELECT ON `{{ db.name }}`.virtual_users TO '{{ db.dovecot_user }}'@'{{ db.client_host }}';
GRANT SELECT, INSERT, UPDATE ON `{{ db.name }}`.mailbox_usage TO '{{ db.dovecot_user }}'@'{{ db.client_host }}';

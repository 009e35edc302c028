"""The production install (`./mailctl install`): the host's own MariaDB, Postfix, Dovecot,
SpamAssassin and nginx configured from deploy/, the panel and the mail-store worker as systemd
services, one certificate for mail and panel.

environment.py  the settings files under /etc/mailadmin (runs before Django: it gives its settings)
files.py        the installed files: what differs, backups, writing, putting the previous ones back
desired.py      every file the install owns, rendered for a root folder
services.py     systemd units, the checks of the daemons' own tools, waiting for their ports
tls.py          the certificate: the operator's files, or ACME through certbot
database.py     the database, its least-privileged accounts and the migrations
revision.py     which code the checkout holds (an upgrade restarts the panel once)
install.py      the steps in order, with the roll-back of the configuration files
"""

# Rendered by mailadmin: Dovecot's IMAPSieve runs this when a user moves or copies a message into
# Junk.  SpamAssassin's Bayes (one database for all domains) learns it as spam through spamd.
require ["vnd.dovecot.pipe", "copy", "imapsieve"];

pipe :copy "spamc" ["-d", "127.0.0.1", "-p", "{{ ports.spamd }}", "-L", "spam"];

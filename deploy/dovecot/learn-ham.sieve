# Rendered by mailadmin: Dovecot's IMAPSieve runs this when a user moves or copies a message out
# of Junk.  SpamAssassin's Bayes learns it as ham through spamd, unless it goes to the Trash
# (deleting spam is not a verdict that it was wanted).
require ["vnd.dovecot.pipe", "copy", "imapsieve", "environment", "variables"];

if environment :matches "imap.mailbox" "*" {
  set "mailbox" "${1}";
}
if string "${mailbox}" "Trash" {
  stop;
}
pipe :copy "spamc" ["-d", "127.0.0.1", "-p", "{{ ports.spamd }}", "-L", "ham"];

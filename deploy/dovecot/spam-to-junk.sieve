# Rendered by mailadmin: runs before each user's own Sieve script at delivery.
# A message whose SpamAssassin score is at or above the recipient's threshold goes to Junk.
# Sieve compares numbers as whole digits only, so both sides are compared in tenths:
# SpamAssassin prints scores with one decimal ("score=5.4" -> 54), and the threshold comes
# from Dovecot's user_query in tenths.  Negative scores ("score=-1.2") never match, a missing
# header never matches, and a missing threshold compares as infinity (never Junk).
require ["fileinto", "mailbox", "variables", "regex", "relational", "comparator-i;ascii-numeric",
         "environment", "vnd.dovecot.environment"];

set "threshold" "";
if environment :matches "vnd.dovecot.config.spam_threshold_tenths" "*" {
  set "threshold" "${1}";
}
if header :regex "X-Spam-Status" "score=([0-9]+)\\.([0-9])" {
  set "score" "${1}${2}";
  if string :value "ge" :comparator "i;ascii-numeric" "${score}" "${threshold}" {
    fileinto :create "Junk";
    stop;
  }
}

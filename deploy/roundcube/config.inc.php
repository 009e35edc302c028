<?php
// Roundcube's configuration, rendered by mailadmin ({{ profile }} profile) from
// deploy/roundcube/config.inc.php.  Values come from the Django settings; edit those, not this file.
$config = [];
$config['db_dsnw'] = {{ webmail.php.db_dsnw }};
$config['des_key'] = {{ webmail.php.des_key }};
$config['product_name'] = {{ webmail.php.product_name }};
$config['temp_dir'] = {{ webmail.php.temp_dir }};
$config['log_dir'] = {{ webmail.php.log_dir }};
$config['enable_installer'] = false;
$config['skin'] = 'elastic';
// A session ends after this many minutes without a request (MAILADMIN_WEBMAIL_IDLE_MINUTES).
$config['session_lifetime'] = {{ webmail.idle_minutes }};
// The owner's own pages of the panel (password, auto-reply, spam threshold), shown as the support link.
$config['support_url'] = {{ webmail.php.panel_url }};

// Dovecot checks the login (a suspended mailbox cannot log in); the same credentials send mail.
// Loopback to this host's own daemons: the certificate is not checked there.
$loopback_tls = ['ssl' => ['verify_peer' => false, 'verify_peer_name' => false, 'allow_self_signed' => true]];
$config['imap_host'] = {{ webmail.php.imap_host }};
$config['imap_conn_options'] = $loopback_tls;
$config['smtp_host'] = {{ webmail.php.smtp_host }};
$config['smtp_user'] = '%u';
$config['smtp_pass'] = '%p';
$config['smtp_conn_options'] = $loopback_tls;
$config['username_domain_forced'] = false;
$config['login_lc'] = 2;
// Dovecot's folders (deploy/dovecot/dovecot.conf): Junk is where spam and "mark as junk" go.
$config['drafts_mbox'] = 'Drafts';
$config['junk_mbox'] = 'Junk';
$config['sent_mbox'] = 'Sent';
$config['trash_mbox'] = 'Trash';

$config['plugins'] = ['password', 'managesieve', 'markasjunk'];

// The password plugin changes the password through the panel's endpoint (docs/selfservice.md).
$config['password_driver'] = 'httpapi';
$config['password_httpapi_url'] = {{ webmail.php.password_url }};
$config['password_httpapi_method'] = 'POST';
$config['password_httpapi_var_user'] = 'user';
$config['password_httpapi_var_curpass'] = 'curpass';
$config['password_httpapi_var_newpass'] = 'newpass';
$config['password_httpapi_expect'] = '/^ok$/i';
$config['password_http_client'] = [
    'headers' => ['X-Mailadmin-Secret' => {{ webmail.php.secret }}],
    'http_errors' => false,  // a refusal shows "Could not save new password." without "Connection error"
    'verify' => false,  // loopback to this host's own nginx (installed host)
    'timeout' => 30,
];
$config['password_confirm_current'] = true;
$config['password_minimum_length'] = {{ webmail.password_min_length }};

// Filters through Dovecot's ManageSieve; the panel's own script (auto-reply, forwarding) is not shown.
$config['managesieve_host'] = {{ webmail.php.managesieve_host }};
$config['managesieve_conn_options'] = $loopback_tls;
$config['managesieve_filename_exceptions'] = ['mailadmin'];
$config['managesieve_vacation'] = 0;
$config['managesieve_forward'] = 0;

// "Mark as junk" moves the message into Junk (Dovecot's IMAPSieve learns from that move where set up).
$config['markasjunk_move_spam'] = true;
$config['markasjunk_move_ham'] = true;
$config['markasjunk_learning_driver'] = null;

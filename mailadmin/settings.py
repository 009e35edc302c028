"""Settings for mailadmin.

Every value the panel and the bundled mail stack share (database, ports, folders, spam
threshold, hashing scheme) is defined here once; the daemons' configurations are rendered
from these values (see mailstack/config.py).  Values come from the MAILADMIN_* environment
variables declared in mailadmin/config.py (type, default, allowed values), read with `env()`:
a value that is not allowed gives the default here and an error in `manage.py check`.
"""
from pathlib import Path

from mailadmin import languages
from mailadmin.config import value as env
from mailadmin.secrets import load_or_create

BASE_DIR = Path(__file__).resolve().parent.parent

VAR_DIR = Path(env("VAR_DIR") or BASE_DIR / "var").resolve()
SECRETS = load_or_create(VAR_DIR)
PORT_BASE = env("PORT_BASE")

SECRET_KEY = SECRETS["django_secret_key"]
DEBUG = env("DEBUG")
ALLOWED_HOSTS = env("ALLOWED_HOSTS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "corsheaders",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "domains",
    "accounts",
    "mailstack",
    "api",
    "selfservice",
    "webhooks",
    "mailadmin.apps.MailadminConfig",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "corsheaders.middleware.CorsMiddleware",  # /api/ only (CORS_URLS_REGEX); answers preflights itself
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "mailstack.metrics.RequestMetricsMiddleware",  # after static files: counts the panel's own answers
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "mailadmin.language.StoredLanguageMiddleware",  # a signed-in admin's or owner's language wins
    "django_otp.middleware.OTPMiddleware",
    "accounts.middleware.SecondFactorRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # must be last
]

ROOT_URLCONF = "mailadmin.urls"
WSGI_APPLICATION = "mailadmin.wsgi.application"
AUTH_USER_MODEL = "accounts.User"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# The address columns use an accent-sensitive, case-insensitive collation: `User@x` and
# `user@x` are one address (as Postfix, which lower-cases its lookup keys, sees them), while
# `josé@x` and `jose@x` stay two different addresses.  See docs/addresses.md.
ADDRESS_COLLATION = "utf8mb4_uca1400_as_ci"

DB_NAME = env("DB_NAME")
DB_HOST = env("DB_HOST")
DB_PORT = env("DB_PORT") or PORT_BASE + 3306
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.mysql",
        "NAME": DB_NAME,
        "USER": env("DB_USER"),
        "PASSWORD": SECRETS["db_panel"],
        "HOST": DB_HOST,
        "PORT": DB_PORT,
        "CONN_MAX_AGE": 60,
        "CONN_HEALTH_CHECKS": True,
        "OPTIONS": {
            "charset": "utf8mb4",
            "isolation_level": "read committed",
            "init_command": "SET sql_mode='STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION'",
        },
        "TEST": {"CHARSET": "utf8mb4", "COLLATION": ADDRESS_COLLATION},
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Translations (docs/translations.md): the language is the signed-in admin's or owner's stored
# choice, else the language menu's cookie, else the browser's Accept-Language, else this default.
LANGUAGE_CODE = env("LANGUAGE")
LANGUAGES = list(languages.LANGUAGES)
LOCALE_PATHS = [BASE_DIR / "locale"]  # one catalog per language for the whole project; compiled, never committed
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# Front-end assets come from the npm registry (package.json), installed by ./mailctl; the panel
# serves them itself, never from a CDN.
STATICFILES_DIRS = [("bootstrap", BASE_DIR / "node_modules" / "bootstrap" / "dist")]

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Panel (admin) passwords; mailbox passwords follow domains/password_policy.py.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True

# Mailbox password hashes, written with Dovecot's {SCHEME} prefix (domains/passwords.py).
# One of ARGON2ID (default), BLF-CRYPT, SHA512-CRYPT; a system check validates it.
MAILADMIN_PASSWORD_SCHEME = env("PASSWORD_SCHEME")

# Spam threshold used when neither the mailbox nor its domain sets one.
MAILADMIN_SPAM_THRESHOLD_DEFAULT = env("SPAM_THRESHOLD_DEFAULT")

# Inbound defence (docs/inbound.md): SpamAssassin's network tests ("auto": production only; they ask
# MAILADMIN_DNS_RESOLVERS, below) and postscreen's blocklists on port 25 in production.
MAILADMIN_SPAM_NETWORK_TESTS = env("SPAM_NETWORK_TESTS")
MAILADMIN_POSTSCREEN_DNSBL_SITES = env("POSTSCREEN_DNSBL_SITES")
MAILADMIN_POSTSCREEN_DNSBL_THRESHOLD = env("POSTSCREEN_DNSBL_THRESHOLD")

# The bundled mail stack (mailstack/).  Ports are PORT_BASE + the standard port.
MAILSTACK = {
    "var_dir": VAR_DIR,
    "hostname": env("MAIL_HOSTNAME"),
    "mail_user": env("MAIL_USER"),
    "vmail_dir": env("VMAIL_DIR") or VAR_DIR / "vmail",
    "relayhost": env("RELAYHOST"),
    "spam_test_rules": env("SPAM_TEST_RULES"),
    "ports": {
        "smtp": PORT_BASE + 25,
        "submission": PORT_BASE + 587,
        "lmtp": PORT_BASE + 24,
        "imap": PORT_BASE + 143,
        "pop3": PORT_BASE + 110,
        "managesieve": PORT_BASE + 4190,
        "mariadb": DB_PORT,
        "spamd": PORT_BASE + 783,
        "milter": PORT_BASE + 1783,
        "auth": PORT_BASE + 3000,
        "dkim": PORT_BASE + 8891,  # OpenDKIM, the signing milter
        "dkim_ed25519": PORT_BASE + 8892,  # its second instance: the optional Ed25519 signature
        "dovecot_submission": PORT_BASE + 10026,  # Sieve auto-replies and forwards (selfservice)
        "quota_status": PORT_BASE + 10003,  # Dovecot's quota-status policy service, asked by Postfix at RCPT
        # SRS for forwarded mail (docs/quota-and-forwarding.md): postsrsd's two lookup tables, and
        # the Postfix listener that mail leaving with a foreign sender passes through to get one.
        "srs_forward": PORT_BASE + 10001,
        "srs_reverse": PORT_BASE + 10002,
        "srs_reinject": PORT_BASE + 10004,
        "webmail": PORT_BASE + 8080,  # Roundcube behind the stack's own nginx (mailstack/webmail.py)
        "dovecot_stats": PORT_BASE + 9900,  # Dovecot's counters for /metrics
    },
    # Where `./mailctl run` serves the panel (Roundcube's password plugin calls it there).
    "panel_port": 8000,
    "db_users": {"postfix": "mailpostfix", "dovecot": "maildovecot", "replication": "mailreplica", "dkim": "maildkim",
                 "roundcube": "mailroundcube"},
    # MariaDB replicas (host names or addresses, on the primary's port) that Postfix and Dovecot
    # also read from, so that mail keeps flowing while the primary is down; the panel writes to
    # the primary only.  The private stack runs a replica itself for each loopback address here
    # (e.g. 127.0.0.2).  See docs/replicas.md.
    "db_replicas": env("DB_REPLICAS"),
    # Roundcube (docs/webmail.md): its own database and account in the stack's MariaDB.
    "webmail": env("WEBMAIL"),
    "webmail_db": "mailadmin_webmail",
    "webmail_idle_minutes": env("WEBMAIL_IDLE_MINUTES"),
}

# Shortest mailbox password the policy accepts (domains/password_policy.py).
MAILADMIN_PASSWORD_MIN_LENGTH = env("PASSWORD_MIN_LENGTH")

# Deleted mail is kept this many days by the mail-store worker before it is removed.
MAILADMIN_MAILSTORE_RETENTION_DAYS = env("MAILSTORE_RETENTION_DAYS")

# Backups (mailstack/backup.py, docs/backups.md): the borg repository and how many archives prune keeps.
MAILADMIN_BACKUP_REPOSITORY = env("BACKUP_REPOSITORY") or VAR_DIR / "backups" / "borg"
MAILADMIN_BACKUP_KEEP = {"daily": env("BACKUP_KEEP_DAILY"), "weekly": env("BACKUP_KEEP_WEEKLY"),
                         "monthly": env("BACKUP_KEEP_MONTHLY")}

# Caches: Django's per-process memory cache by default; the "api" cache is a database table
# (made by the api app's migrations) that every worker process shares, for the API's rate limits
# (and the note that forwarded headers came while no proxy is trusted: mailadmin/forwarded_headers.py).
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "api": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "mailadmin_api_cache",
            "OPTIONS": {"MAX_ENTRIES": 100_000}},
}

# ---------------------------------------------------------------------------------------------
# Sign-in security (accounts/, docs/signin.md): lockout of repeated failed sign-ins
# (django-axes), a TOTP second factor (django-otp), and the HTTPS settings `check --deploy` asks for.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # refuses locked-out sign-ins before any password check
    "django.contrib.auth.backends.ModelBackend",
]

# Reverse proxies in front of the panel that append to X-Forwarded-For.  With 0 (the default)
# the client address is REMOTE_ADDR only and forwarded headers are ignored (mailadmin/client_ip.py).
MAILADMIN_TRUSTED_PROXY_COUNT = env("TRUSTED_PROXY_COUNT")

AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = 0.25  # hours: 15 minutes
# 5 failures lock the username (known or not) and, apart from that, the client address (against
# trying a few passwords on many usernames): behind a proxy, set MAILADMIN_TRUSTED_PROXY_COUNT.
# Admins, mailbox owners and Roundcube's endpoint each count apart (accounts/lockout.py); a
# success clears only the failures of the account that signed in, from that client.
AXES_HANDLER = "accounts.lockout.LockoutHandler"
AXES_LOCKOUT_PARAMETERS = "accounts.lockout.lockout_parameters"
AXES_USERNAME_CALLABLE = "accounts.lockout.lockout_username"
AXES_CLIENT_IP_CALLABLE = "mailadmin.client_ip.client_ip"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_HTTP_RESPONSE_CODE = 429
# Never store typed passwords (admins', owners', Roundcube's fields) in axes' records of failures.
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "curpass", "newpass", "current_password",
                             "new_password1", "new_password2"]

OTP_TOTP_ISSUER = "mailadmin"
OTP_TOTP_THROTTLE_FACTOR = 1  # seconds; doubles after each wrong code in a row
OTP_STATIC_THROTTLE_FACTOR = 1
OTP_LOGIN_URL = "two_factor_verify"

# The host's own health probe may ask the panel's socket directly, over plain HTTP (docs/production.md);
# so may a scraper of /metrics from an allowed address (a bearer token is refused there: docs/metrics.md).
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^metrics$",
                          # Thunderbird asks autoconfig.<domain> over plain HTTP too (docs/webmail.md).
                          r"^mail/config-v1\.1\.xml$", r"^\.well-known/autoconfig/mail/config-v1\.1\.xml$"]
# Production behind HTTPS: MAILADMIN_HTTPS=1 (`manage.py check --deploy` then reports no issues).
if env("HTTPS"):
    SECURE_SSL_REDIRECT = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = 365 * 24 * 3600
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_REFERRER_POLICY = "same-origin"
    SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
    if MAILADMIN_TRUSTED_PROXY_COUNT > 0:
        # Only a trusted proxy may say the original request was HTTPS.
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# ---------------------------------------------------------------------------------------------
# The REST API for billing systems under /api/v1/ (api/): API keys only, no session sign-in,
# errors as RFC 9457 problem+json; the OpenAPI schema and its docs page are served by the panel.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["api.authentication.ApiKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["api.permissions.HasApiKey"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
# Browsers on these origins (a billing system's web front end) may call the API with a key
# (docs/api.md, CORS). Preflights are answered before the API's views, without a key; other
# origins get no CORS headers, so their browsers refuse the answer. Keys are sent as a header,
# never as cookies: no credentials mode.
CORS_URLS_REGEX = r"^/api/"
CORS_ALLOWED_ORIGINS = env("API_CORS_ORIGINS")
CORS_ALLOW_HEADERS = ["accept", "authorization", "content-type", "idempotency-key"]
CORS_EXPOSE_HEADERS = ["Location", "Retry-After", "Idempotent-Replayed"]
CORS_ALLOW_METHODS = ["DELETE", "GET", "OPTIONS", "PATCH", "POST", "PUT"]
CORS_PREFLIGHT_MAX_AGE = 3600
SPECTACULAR_SETTINGS = {
    "TITLE": "mailadmin API",
    "DESCRIPTION": "Domains and mailboxes of the ISPmail tables, for billing systems. Errors are "
                   "application/problem+json (RFC 9457).",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {"WebhookEventType": "webhooks.events.EVENT_TYPES"},
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "api.schema_links.add_links",
                             "api.examples.add_examples"],
}
# A bulk request of 10,000 mailboxes (the most one takes) is at most about 9 MB of JSON; a larger
# body is answered 413.
DATA_UPLOAD_MAX_MEMORY_SIZE = 16 * 1024 * 1024
# Rate limits (api/throttling.py): requests per API key, and failed key checks per client address.
# Counted in the shared "api" cache (see CACHES).
MAILADMIN_API_RATE = env("API_RATE")
# Who may read /metrics (mailstack/metrics.py, docs/metrics.md).
MAILADMIN_METRICS_ADDRESSES = env("METRICS_ADDRESSES")
MAILADMIN_METRICS_TOKEN = env("METRICS_TOKEN")
MAILADMIN_API_AUTH_FAILURE_RATE = env("API_AUTH_FAILURE_RATE")

# ---------------------------------------------------------------------------------------------
# Mailbox owners' own pages under /me/ and the endpoint of Roundcube's password plugin
# (selfservice/, docs/selfservice.md).
# Roundcube's password plugin sends this secret in the X-Mailadmin-Secret header; empty = the
# endpoint is off (404).
MAILADMIN_ROUNDCUBE_SECRET = SECRETS["roundcube_secret"]
# The Dovecot configuration doveadm runs with (Sieve scripts, auth cache); empty = the bundled
# stack's.  Set DOVECOT_AUTH_CACHE=1 when Dovecot's auth_cache_size is not 0: changes then flush it.
MAILADMIN_DOVECOT_CONFIG = str(env("DOVECOT_CONFIG"))
MAILADMIN_DOVECOT_AUTH_CACHE = env("DOVECOT_AUTH_CACHE")
# Returning logins skip the Argon2 check for this long (deploy/dovecot/returning-logins.lua); 0: off.
MAILADMIN_DOVECOT_RETURNING_LOGIN_SECONDS = env("DOVECOT_RETURNING_LOGIN_SECONDS")
# How the panel reaches Dovecot (domains/mailserver.py): "doveadm" runs doveadm with the
# configuration above itself; "sudo" runs the root-owned helper through sudo (mailstack/privileged.py).
MAILADMIN_MAIL_SERVER = env("MAIL_SERVER")
MAILADMIN_MAIL_SERVER_HELPER = str(env("MAIL_SERVER_HELPER"))

# ---------------------------------------------------------------------------------------------
# The production install (`./mailctl install`, mailstack/production/, docs/production.md): where
# the certificate of mail and panel comes from.
MAILADMIN_TLS = env("TLS")
MAILADMIN_IPV6 = env("IPV6")
MAILADMIN_TLS_CERT_FILE = str(env("TLS_CERT_FILE"))
MAILADMIN_TLS_KEY_FILE = str(env("TLS_KEY_FILE"))
MAILADMIN_ACME_DIRECTORY = env("ACME_DIRECTORY")
MAILADMIN_ACME_EMAIL = env("ACME_EMAIL")
MAILADMIN_ACME_CA_BUNDLE = str(env("ACME_CA_BUNDLE"))

# The domain page's DNS records (domains/dns_records.py): the mail host's public addresses (empty:
# as DNS has them) and the resolvers its live check asks (empty: the host's /etc/resolv.conf).
MAILADMIN_PUBLIC_ADDRESSES = env("PUBLIC_ADDRESSES")
MAILADMIN_DNS_RESOLVERS = env("DNS_RESOLVERS")
MAILADMIN_DNS_RESOLVER_PORT = env("DNS_RESOLVER_PORT")

# Bootstrap's alert colours for Django's message levels ("error" is Bootstrap's "danger").
MESSAGE_TAGS = {40: "danger"}

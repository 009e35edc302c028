"""Input and output shapes only: the rules are in domains.services."""
import re

from django.contrib.auth.validators import ASCIIUsernameValidator
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.fields import empty

from api.models import ACTIONS
from domains.addresses import display_domain

BYTES = {"min_value": 0, "max_value": 2**63 - 1}
SPAM_THRESHOLD_TEXT = re.compile(r"[0-9]{1,3}(\.[0-9])?")
SPAM_THRESHOLD_HELP = ("a SpamAssassin score from 0.0 to 999.9 with one decimal at most (5.55 is refused, not "
                       "rounded, as in the panel), as a JSON number or a decimal string; other values answer 400 "
                       "(`invalid`), or 422 (`spam_threshold`) below 0")
SPAM_RANGE_RULE = ("The owners' spam range: after the change, `user_spam_threshold_min` must not be above "
                   "`user_spam_threshold_max` (a bound not given keeps the domain's current one), and neither may "
                   "be null; otherwise 422 with code `spam_threshold_bounds` and nothing changes.")


class Text(serializers.CharField):
    """Text as the schema says: a JSON string (DRF's CharField would take 5 and store "5")."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


# What the schema shows of the address and domain rules (domains/addresses.py) as far as a pattern
# can; the rest is in each field's description. The services still decide (422, with their codes).
ADDRESS_HELP = ("one @; the domain part a domain name as for domains; at most 254 octets, the part before "
                "the @ at most 64 and not starting or ending with a dot; refused with 422 (codes `address_*`, "
                "`local_part_*`, `domain_*`)")
PASSWORD_HELP = ("a plain password: at least MAILADMIN_PASSWORD_MIN_LENGTH characters, at most 1024, no NUL, not the "
                 "address nor a common password; refused with 422 (codes `password_*`)")
DOMAIN_HELP = ("at least two labels, each of letters, digits and inner hyphens (at most 63 octets), the last not "
               "all digits; the Unicode form of an IDN is accepted (stored as its A-label); at most 253 octets as "
               "A-labels; refused with 422 (codes `domain_*`)")


# A domain name: labels of letters, digits, hyphens or non-ASCII characters (an IDN's Unicode
# form), split by dots (IDNA's ideographic and full-width dots count), at least two, the last not
# all digits; a final dot is dropped.
_DOT = r"[.\u3002\uff0e\uff61]"
_NON_ASCII = r"[^\x00-\xA0\u3002\uff0e\uff61]"  # and not a control character or a no-break space
_LABEL_CHAR = rf"(?:[A-Za-z0-9-]|{_NON_ASCII})"
_LAST_LABEL = rf"{_LABEL_CHAR}*(?:[A-Za-z-]|{_NON_ASCII}){_LABEL_CHAR}*"
DOMAIN_PATTERN = rf"{_LABEL_CHAR}+(?:{_DOT}{_LABEL_CHAR}+)*{_DOT}{_LAST_LABEL}{_DOT}?"
# The part before the @: no control characters, spaces or characters refused in addresses.
LOCAL_CHAR = r'[^@\x00-\x20\x7F-\xA0,;:<>()\[\]"\\`%!]'


@extend_schema_field({"type": "string", "minLength": 3, "maxLength": 300, "pattern": f"^{DOMAIN_PATTERN}$"})
class DomainNameIn(Text):
    pass


@extend_schema_field({"type": "string", "minLength": 3, "maxLength": 254,
                      "pattern": f"^{LOCAL_CHAR}+@{DOMAIN_PATTERN}$"})
class AddressIn(Text):
    pass


@extend_schema_field({"type": "string", "minLength": 3, "maxLength": 300,
                      "pattern": f"^[A-Za-z0-9._-]+@{DOMAIN_PATTERN}$"})
class MailboxAddressIn(Text):
    """A mailbox's name is ASCII letters, digits, dots, hyphens and underscores (no "+": the extension)."""


@extend_schema_field({"type": "string", "minLength": 2, "maxLength": 300,
                      "pattern": f"^{LOCAL_CHAR}*@{DOMAIN_PATTERN}$"})
class AliasSourceIn(Text):
    pass


def _threshold(**kwargs):
    kwargs.setdefault("allow_null", True)
    return serializers.DecimalField(max_digits=4, decimal_places=1, coerce_to_string=True, **kwargs)


@extend_schema_field({"oneOf": [{"type": "number", "minimum": 0, "maximum": 999.9, "multipleOf": 0.1},
                                {"type": "string", "pattern": f"^{SPAM_THRESHOLD_TEXT.pattern}$"}]})
class SpamThresholdIn(serializers.DecimalField):
    """A threshold as clients send it: a number (what most send) or a decimal string (what the
    answers hold), both in the schema; anything else, e.g. "" or "1e2", is refused (400)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("allow_null", True)
        kwargs.setdefault("help_text", SPAM_THRESHOLD_HELP)
        super().__init__(max_digits=4, decimal_places=1, required=False, **kwargs)

    def validate_empty_values(self, data):
        """"" is not null here (DRF's DecimalField takes it for null)."""
        return serializers.Field.validate_empty_values(self, data)

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int | float | str) or \
                isinstance(data, str) and not SPAM_THRESHOLD_TEXT.fullmatch(data):
            self.fail("invalid")
        return super().to_internal_value(data)


class DomainOut(serializers.Serializer):
    name = serializers.CharField(help_text="canonical form: lower case, IDN as A-label")
    name_unicode = serializers.SerializerMethodField()
    description = serializers.CharField()
    active = serializers.BooleanField()
    max_mailboxes = serializers.IntegerField(help_text="0 = no limit")
    max_aliases = serializers.IntegerField(help_text="0 = no limit")
    default_quota = serializers.IntegerField(help_text="bytes; 0 = unlimited")
    max_quota = serializers.IntegerField(help_text="bytes; 0 = no limit")
    quota_total = serializers.IntegerField(help_text="bytes; 0 = no limit")
    spam_threshold = _threshold(help_text="null = the global default")
    user_spam_threshold_min = _threshold(help_text="lowest threshold mailbox owners may choose themselves")
    user_spam_threshold_max = _threshold(help_text="highest threshold mailbox owners may choose themselves")
    created = serializers.DateTimeField()
    updated = serializers.DateTimeField()

    def get_name_unicode(self, domain) -> str:
        return display_domain(domain.name)


class DomainUpdateIn(serializers.Serializer):
    __doc__ = SPAM_RANGE_RULE

    description = Text(max_length=255, allow_blank=True, required=False)
    active = serializers.BooleanField(required=False)
    max_mailboxes = serializers.IntegerField(min_value=0, max_value=2**32 - 1, required=False)
    max_aliases = serializers.IntegerField(min_value=0, max_value=2**32 - 1, required=False)
    default_quota = serializers.IntegerField(required=False, **BYTES)
    max_quota = serializers.IntegerField(required=False, **BYTES)
    quota_total = serializers.IntegerField(required=False, **BYTES)
    spam_threshold = SpamThresholdIn(help_text=f"null = the global default; {SPAM_THRESHOLD_HELP}")
    user_spam_threshold_min = SpamThresholdIn(allow_null=False, help_text=(
        f"{SPAM_THRESHOLD_HELP}; not above the highest (422 `spam_threshold_bounds`)"))
    user_spam_threshold_max = SpamThresholdIn(allow_null=False, help_text=(
        f"{SPAM_THRESHOLD_HELP}; not below the lowest (422 `spam_threshold_bounds`)"))


class DomainCreateIn(DomainUpdateIn):
    __doc__ = SPAM_RANGE_RULE

    name = DomainNameIn(max_length=300, help_text=DOMAIN_HELP)
    role_aliases_to = AddressIn(
        max_length=254, required=False,
        help_text=f"also create postmaster@ and abuse@ as aliases to this address: {ADDRESS_HELP}")


class MailboxOut(serializers.Serializer):
    address = serializers.CharField(source="email")
    domain = serializers.CharField(source="domain.name")
    quota = serializers.IntegerField(help_text="bytes; 0 = unlimited")
    active = serializers.BooleanField()
    display_name = serializers.CharField()
    spam_threshold = _threshold(help_text="null = the domain's threshold")
    created = serializers.DateTimeField()
    updated = serializers.DateTimeField()


class MailboxUpdateIn(serializers.Serializer):
    quota = serializers.IntegerField(required=False, **BYTES)
    active = serializers.BooleanField(required=False)
    display_name = Text(max_length=255, allow_blank=True, required=False)
    spam_threshold = SpamThresholdIn(help_text=f"null = the domain's threshold; {SPAM_THRESHOLD_HELP}")


class MailboxCreateIn(MailboxUpdateIn):
    address = MailboxAddressIn(max_length=300, help_text=(
        "the part before the @ of ASCII letters, digits and . - _ (no +), lower-cased; " + ADDRESS_HELP))
    password = Text(required=False, trim_whitespace=False, write_only=True, help_text=PASSWORD_HELP)
    password_hash = Text(required=False, max_length=255, write_only=True,
                         help_text="a Dovecot {SCHEME} hash, e.g. from a migration")


class PasswordIn(serializers.Serializer):
    password = Text(trim_whitespace=False, write_only=True, help_text=PASSWORD_HELP)


class AliasOut(serializers.Serializer):
    source = serializers.CharField(help_text="an address, or @domain for the domain's catch-all")
    destinations = serializers.ListField(child=serializers.CharField())


class AliasUpdateIn(serializers.Serializer):
    destinations = serializers.ListField(child=AddressIn(max_length=254, help_text=ADDRESS_HELP), min_length=1,
                                         max_length=1000)


class AliasCreateIn(AliasUpdateIn):
    source = AliasSourceIn(max_length=300,
                           help_text=f"an address, or @domain for the domain's catch-all: {ADDRESS_HELP}")


class DnsRecordOut(serializers.Serializer):
    purpose = serializers.CharField()
    name = serializers.CharField(help_text="without the final dot")
    type = serializers.ChoiceField(choices=["MX", "TXT", "SRV", "CNAME", "A", "AAAA", "PTR"])
    value = serializers.CharField(help_text="what to publish (TXT: the text, unquoted); empty when not known")
    optional = serializers.BooleanField()
    status = serializers.ChoiceField(choices=["found", "missing", "different"],
                                     help_text="what DNS answers now, through the server's resolvers")
    answers = serializers.ListField(child=serializers.CharField(), help_text="DNS's answers for this name and type")


class DomainDnsOut(serializers.Serializer):
    domain = serializers.CharField()
    records = DnsRecordOut(many=True)


class DkimKeyOut(serializers.Serializer):
    selector = serializers.CharField()
    algorithm = serializers.ChoiceField(choices=["rsa", "ed25519"])
    state = serializers.ChoiceField(choices=["published", "signing", "replaced"],
                                    help_text="published: new, not signing until activated; signing: signs new "
                                              "mail; replaced: no longer signs, published until retired")
    record_name = serializers.CharField(help_text="the TXT record to publish, without the final dot")
    record_value = serializers.CharField()
    created = serializers.DateTimeField()
    activated = serializers.DateTimeField(allow_null=True, help_text="when it began to sign; null: not yet")


class DkimKeyCreateIn(serializers.Serializer):
    algorithm = serializers.ChoiceField(choices=["rsa", "ed25519"], default="rsa",
                                        help_text="rsa: a new key for the domain's signature (a rotation); ed25519: "
                                                  "a key for a second signature (RFC 8463), alongside the RSA one")


class DkimActivateIn(serializers.Serializer):
    force = serializers.BooleanField(default=False, help_text="activate even if DNS does not publish the key's "
                                                              "record yet (keys for all domains only)")


class DomainUsageOut(serializers.Serializer):
    domain = serializers.CharField(source="name")
    mailboxes = serializers.IntegerField(source="mailbox_count")
    aliases = serializers.IntegerField(source="alias_count", help_text="alias rows (one per source → destination)")
    quota_allocated = serializers.IntegerField(help_text="bytes: the sum of the mailboxes' quotas (0 = unlimited)")
    storage_used = serializers.IntegerField(source="quota_used", help_text="bytes of mail stored, as Dovecot counts")


class MailboxUsageOut(serializers.Serializer):
    address = serializers.CharField(source="email")
    quota = serializers.IntegerField(help_text="bytes; 0 = unlimited")
    bytes_used = serializers.IntegerField(help_text="bytes of mail stored, as Dovecot counts")
    messages = serializers.IntegerField()


BULK_MAX = 10_000


class MailboxBulkIn(serializers.Serializer):
    mailboxes = serializers.ListField(child=MailboxCreateIn(), min_length=1, max_length=BULK_MAX)


class AliasBulkIn(serializers.Serializer):
    aliases = serializers.ListField(child=AliasCreateIn(), min_length=1, max_length=BULK_MAX)


class MailboxAddressesIn(serializers.Serializer):
    addresses = serializers.ListField(child=AddressIn(max_length=300, help_text=ADDRESS_HELP), min_length=1,
                                      max_length=BULK_MAX, help_text="each mailbox once")


class MailboxBulkUpdateIn(MailboxAddressesIn):
    changes = MailboxUpdateIn(help_text="the changes made to every listed mailbox (at least one field)")

    def validate_changes(self, value):
        if not value:
            raise serializers.ValidationError(_("Give at least one change."))
        return value


class MailboxBulkOut(serializers.Serializer):
    mailboxes = MailboxOut(many=True)


class AliasBulkOut(serializers.Serializer):
    aliases = AliasOut(many=True)


class QueryBoolean(serializers.BooleanField):
    """A boolean query parameter as OpenAPI writes one: `true` or `false`, nothing else."""

    def get_value(self, dictionary):
        """As given: DRF reads a query string as an HTML form, where absent means False and "" absent."""
        return dictionary.get(self.field_name, empty)

    def to_internal_value(self, data):
        if data not in ("true", "false"):
            self.fail("invalid", input=data)
        return data == "true"


class ListFilter(serializers.Serializer):
    domain = serializers.CharField(required=False)
    active = QueryBoolean(required=False, default=None)
    prefix = serializers.CharField(required=False, max_length=254)


class Problem(serializers.Serializer):
    """RFC 9457 problem details, as every error is answered (application/problem+json)."""

    type = serializers.CharField()
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField(required=False)
    code = serializers.CharField(required=False)
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()), required=False,
                                   help_text="messages by input field")


class RenameIn(serializers.Serializer):
    local_part = Text(max_length=64, help_text=(
        "the new part before the @ (the domain stays): ASCII letters, digits and . - _ (no +), lower-cased; "
        "refused with 422 (codes `local_part_*`, `mailbox_*`) or 409 when the address exists"))


class RulesSerializer(serializers.Serializer):
    """The owner's auto-reply and forwarding, as the owner sets them at /me/ (Dovecot applies them
    from the Sieve script rendered from these fields)."""

    vacation_active = serializers.BooleanField(required=False, help_text="the auto-reply is on")
    vacation_subject = Text(max_length=200, allow_blank=True, required=False)
    vacation_text = Text(max_length=10_000, allow_blank=True, required=False,
                         help_text="required (not blank) while the auto-reply is on (422, `vacation_text`)")
    vacation_start = serializers.DateField(allow_null=True, required=False, help_text="first day, or null")
    vacation_end = serializers.DateField(allow_null=True, required=False,
                                         help_text="last day, or null; not before the first (422, `vacation_dates`)")
    vacation_days = serializers.IntegerField(min_value=1, max_value=30, required=False,
                                             help_text="reply once per sender every this many days")
    forward_to = serializers.ListField(child=AddressIn(max_length=254, help_text=ADDRESS_HELP), max_length=5,
                                       required=False, help_text=(
                                           "forward every message to these addresses (at most 5, not the "
                                           "mailbox itself: 422 `forward_self`); [] = no forwarding"))
    forward_keep_copy = serializers.BooleanField(required=False, help_text="keep a copy in the mailbox too")


class AuditOut(serializers.Serializer):
    id = serializers.IntegerField()
    at = serializers.DateTimeField()
    actor = serializers.CharField(source="actor_label",
                                  help_text="who: an admin's user name or `api-key:<prefix>:<name>`")
    client_ip = serializers.IPAddressField(allow_null=True, help_text="null where not recorded or not shown")
    action = serializers.CharField(help_text="e.g. mailbox.create, alias.update")
    domain = serializers.CharField(source="domain_name", help_text="empty for changes outside any domain")
    object = serializers.CharField(source="object_repr")
    before = serializers.JSONField(allow_null=True)
    after = serializers.JSONField(allow_null=True)


class QueryDateTime(serializers.DateTimeField):
    """A time in a query string: `?since=` is a malformed time (400), not a filter left out."""

    def get_value(self, dictionary):
        if dictionary.get(self.field_name) == "":  # DRF would take it for "not given"
            return ""  # and parsing "" fails
        return super().get_value(dictionary)


class AuditFilter(serializers.Serializer):
    domain = serializers.CharField(required=False, max_length=300)
    action = serializers.CharField(required=False, max_length=64)
    object = serializers.CharField(required=False, max_length=255)
    since = QueryDateTime(required=False)
    until = QueryDateTime(required=False)


class StoredMailOut(serializers.Serializer):
    """A piece of work on stored mail: a deleted mailbox's or domain's mail archived (and later
    removed), or archived mail restored into a mailbox."""

    id = serializers.IntegerField()
    action = serializers.ChoiceField(choices=["archive", "purge", "restore"])
    state = serializers.ChoiceField(choices=["pending", "done", "failed"])
    domain = serializers.CharField(source="domain_name")
    address = serializers.CharField(help_text="the mailbox; empty for a whole domain")
    restorable = serializers.SerializerMethodField(help_text=(
        "an archived mailbox whose mail may be restored (POST .../restore/) into the mailbox that now has "
        "its address, while the archive is kept"))
    created = serializers.DateTimeField()
    finished = serializers.DateTimeField(allow_null=True)
    outcome = serializers.CharField()
    requested_by = serializers.CharField()

    def get_restorable(self, job) -> bool:
        return job.action == "archive" and bool(job.address) and bool(job.archive)


class StoredMailFilter(serializers.Serializer):
    domain = serializers.CharField(required=False, max_length=300)


class ApiKeyOut(serializers.Serializer):
    prefix = serializers.CharField(help_text="the key's first 8 characters after `mak_`: its name in paths")
    name = serializers.CharField()
    all_domains = serializers.BooleanField()
    domains = serializers.SerializerMethodField()
    read_only = serializers.BooleanField()
    allowed_actions = serializers.ListField(child=serializers.CharField(),
                                            help_text="empty = every action but api_key.manage and admin.manage")
    expires = serializers.DateTimeField(allow_null=True)
    revoked = serializers.DateTimeField(allow_null=True)
    last_used = serializers.DateTimeField(allow_null=True)
    created = serializers.DateTimeField()

    def get_domains(self, key) -> list[str]:
        return sorted(key.domains.values_list("name", flat=True))


class ApiKeyCreatedOut(ApiKeyOut):
    key = serializers.CharField(help_text="the key itself: shown in this answer only, never again")


class ApiKeyCreateIn(serializers.Serializer):
    name = Text(max_length=100)
    all_domains = serializers.BooleanField(default=False)
    domains = serializers.ListField(child=DomainNameIn(), default=list, max_length=10_000,
                                    help_text="the domains it reaches (none when `all_domains`)")
    read_only = serializers.BooleanField(default=False)
    allowed_actions = serializers.ListField(child=serializers.ChoiceField(choices=ACTIONS), default=list,
                                            help_text="empty = every action but api_key.manage and admin.manage")
    expires = serializers.DateTimeField(allow_null=True, default=None)


USERNAME_HELP = "ASCII letters, digits and @ . + - _ (at most 150)"


@extend_schema_field({"type": "string", "minLength": 1, "maxLength": 150, "pattern": r"^[A-Za-z0-9_.@+-]+$"})
class UsernameIn(Text):
    def __init__(self, **kwargs):
        super().__init__(max_length=150, validators=[ASCIIUsernameValidator()], **kwargs)


class AdminOut(serializers.Serializer):
    username = serializers.CharField()
    email = serializers.CharField()
    superadmin = serializers.BooleanField(source="is_superuser")
    active = serializers.BooleanField(source="is_active")
    domains = serializers.SerializerMethodField(help_text="the domains a domain admin manages")
    date_joined = serializers.DateTimeField()
    last_login = serializers.DateTimeField(allow_null=True)

    def get_domains(self, admin) -> list[str]:
        return sorted(domain.name for domain in admin.domains.all())


class AdminUpdateIn(serializers.Serializer):
    email = serializers.EmailField(required=False, allow_blank=True)
    active = serializers.BooleanField(required=False)
    domains = serializers.ListField(child=DomainNameIn(), required=False, max_length=10_000)


class AdminCreateIn(AdminUpdateIn):
    username = UsernameIn(help_text=USERNAME_HELP)
    password = Text(trim_whitespace=False, write_only=True, help_text=(
        "the admin's panel password: refused with 422 (`password_*`) by the panel's password rules"))

"""The forms of the domain, mailbox and alias pages (the shared ones are in mailadmin/forms.py).
Forms check the shape of the input; the services decide everything else."""
from django import forms
from django.utils.translation import gettext_lazy as _

from mailadmin.forms import NEW_PASSWORD, ListFilterForm, SpamThresholdField, suggested_password

MIB = 2**20


class QuotaField(forms.IntegerField):
    """A quota typed in MiB, handed to the services in bytes; 0 = unlimited."""

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 0)
        kwargs.setdefault("max_value", 2**43)
        super().__init__(**kwargs)

    def clean(self, value):
        mebibytes = super().clean(value)
        return None if mebibytes is None else mebibytes * MIB

    def prepare_value(self, value):
        return value // MIB if isinstance(value, int) and value >= MIB and value % MIB == 0 else value


class DomainForm(forms.Form):
    """Superadmins set everything; a domain admin only what the form is built with."""

    name = forms.CharField(max_length=253, label=_("Name"),
                           help_text=_("e.g. example.org; international names are accepted."))
    description = forms.CharField(max_length=255, required=False, label=_("Description"))
    max_mailboxes = forms.IntegerField(min_value=0, initial=0, label=_("Max mailboxes"), help_text=_("0 = no limit"))
    max_aliases = forms.IntegerField(min_value=0, initial=0, label=_("Max aliases"), help_text=_("0 = no limit"))
    default_quota = QuotaField(label=_("Default quota (MiB)"), initial=0,
                               help_text=_("for new mailboxes; 0 = unlimited"))
    max_quota = QuotaField(label=_("Largest quota of one mailbox (MiB)"), initial=0, help_text=_("0 = no limit"))
    quota_total = QuotaField(label=_("Domain quota (MiB)"), initial=0,
                             help_text=_("all its mailboxes' quotas together; 0 = no limit"))
    spam_threshold = SpamThresholdField(label=_("Spam threshold"), help_text=_(
        "SpamAssassin score from which mail goes to Junk; empty = the global default"))
    user_spam_threshold_min = SpamThresholdField(
        initial="1.0", label=_("Lowest threshold users may choose"), help_text=_("on their self-service page"))
    user_spam_threshold_max = SpamThresholdField(initial="10.0", label=_("Highest threshold users may choose"))
    active = forms.BooleanField(required=False, initial=True, label=_("Active"),
                                help_text=_("A suspended domain receives no mail."))
    role_aliases_to = forms.EmailField(
        required=False, label=_("Send postmaster@ and abuse@ to"),
        help_text=_("Creates the RFC 2142 role addresses as aliases to this address (optional)."))

    def __init__(self, *args, fields, **kwargs):
        super().__init__(*args, **kwargs)
        for name in set(self.fields) - set(fields):
            del self.fields[name]

    def clean(self):
        cleaned = super().clean()
        for name in ("user_spam_threshold_min", "user_spam_threshold_max"):
            if cleaned.get(name) is None:
                cleaned.pop(name, None)  # left empty: as it was (a new domain: the default)
        return cleaned


class DomainDeleteForm(forms.Form):
    confirm_name = forms.CharField(label=_("Type the domain's name to confirm"))

    def __init__(self, *args, domain, **kwargs):
        super().__init__(*args, **kwargs)
        self.domain = domain

    def clean_confirm_name(self):
        typed = self.cleaned_data["confirm_name"].strip().lower().rstrip(".")
        if typed not in (self.domain.name, str(self.domain)):
            raise forms.ValidationError(_("That is not this domain's name."))
        return typed


class MailboxForm(forms.Form):
    local_part = forms.CharField(label=_("Address"), max_length=64, help_text=_("the part before the @"))
    display_name = forms.CharField(max_length=255, required=False, label=_("Display name"))
    password = forms.CharField(label=_("Password"), strip=False,
                               widget=forms.PasswordInput(render_value=True, attrs=NEW_PASSWORD))
    quota = QuotaField(label=_("Quota (MiB)"), required=False,
                       help_text=_("empty = the domain's default; 0 = unlimited"))
    spam_threshold = SpamThresholdField(label=_("Spam threshold"), help_text=_("empty = the domain's threshold"))
    active = forms.BooleanField(required=False, initial=True, label=_("Active"))

    def __init__(self, *args, fields, **kwargs):
        super().__init__(*args, **kwargs)
        for name in set(self.fields) - set(fields):
            del self.fields[name]
        if "password" in self.fields:
            self.fields["password"].help_text = _("Suggestion: %(password)s") % {"password": suggested_password()}


class AliasForm(forms.Form):
    local_part = forms.CharField(label=_("Address"), max_length=64, required=False,
                                 help_text=_("the part before the @; empty = catch-all for the domain"))
    destinations = forms.CharField(label=_("Destinations"), widget=forms.Textarea(attrs={"rows": 4}),
                                   help_text=_("one address per line; addresses elsewhere are fine"))

    def __init__(self, *args, editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        if editing:
            del self.fields["local_part"]

    def clean_destinations(self):
        return [line.strip() for line in self.cleaned_data["destinations"].splitlines() if line.strip()]


class RenameForm(forms.Form):
    local_part = forms.CharField(label=_("New address"), max_length=64, help_text=_("the part before the @"))


class SearchForm(ListFilterForm):
    q = forms.CharField(required=False, max_length=254)


class AuditFilterForm(ListFilterForm):
    domain = forms.CharField(required=False, max_length=253)
    actor = forms.CharField(required=False, max_length=255)
    since = forms.DateField(required=False)
    until = forms.DateField(required=False)


class MailboxBulkForm(forms.Form):
    """One change to the ticked mailboxes. The ticked ids are read against the mailboxes the
    admin reaches: any other id (a forged one) refuses the whole form, and nothing changes."""

    SUSPEND, RESUME, QUOTA, SPAM_THRESHOLD, DELETE = "suspend", "resume", "quota", "spam_threshold", "delete"
    mailboxes = forms.ModelMultipleChoiceField(queryset=None, widget=forms.CheckboxSelectMultiple, error_messages={
        "required": _("Tick at least one mailbox."), "invalid_choice": _("Tick only mailboxes of your domains."),
        "invalid_pk_value": _("Tick only mailboxes of your domains.")})
    action = forms.ChoiceField(label=_("With the ticked mailboxes"), choices=[
        (SUSPEND, _("Suspend")), (RESUME, _("Resume")), (QUOTA, _("Set the quota")),
        (SPAM_THRESHOLD, _("Set the spam threshold")), (DELETE, _("Delete"))])
    quota = QuotaField(label=_("Quota (MiB)"), required=False, help_text=_("for “Set the quota”; 0 = unlimited"))
    spam_threshold = SpamThresholdField(label=_("Spam threshold"),
                                        help_text=_("for “Set the spam threshold”; empty = the domain's"))
    confirm = forms.IntegerField(required=False, label=_("Number of mailboxes to delete"),
                                 help_text=_("type it to confirm the deletion"))

    def __init__(self, *args, mailboxes, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["mailboxes"].queryset = mailboxes

    def clean(self):
        data = super().clean()
        if data.get("action") == self.QUOTA and data.get("quota") is None:
            self.add_error("quota", _("Give the quota to set."))
        return data

    def changes(self) -> dict:
        """The changes for the services' mailboxes_update_many (all but DELETE)."""
        action = self.cleaned_data["action"]
        if action in (self.SUSPEND, self.RESUME):
            return {"active": action == self.RESUME}
        return {action: self.cleaned_data[action]}

    def confirmed(self) -> bool:
        return self.cleaned_data.get("confirm") == len(self.cleaned_data["mailboxes"])


class AliasBulkForm(forms.Form):
    """Deleting the ticked aliases of one domain. The ticked sources are read against the
    domain's own aliases: any other (a forged one) refuses the whole form, and nothing changes."""

    sources = forms.MultipleChoiceField(error_messages={
        "required": _("Tick at least one alias."), "invalid_choice": _("Tick only aliases of this domain.")})
    confirm = forms.IntegerField(required=False, label=_("Number of aliases to delete"))

    def __init__(self, *args, sources, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sources"].choices = [(source, source) for source in sources]

    def confirmed(self) -> bool:
        return self.cleaned_data.get("confirm") == len(self.cleaned_data["sources"])


class ImportForm(forms.Form):
    file = forms.FileField(label=_("CSV or JSON file"), help_text=_(
        "the layout of manage.py export: a kind column (domain, mailbox, alias) and one column per field"))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        self.file_format = upload.name.rpartition(".")[2].lower()
        if self.file_format not in ("csv", "json"):
            raise forms.ValidationError(_("Upload a file whose name ends in .csv or .json."))
        return upload


class ExportForm(forms.Form):
    domain = forms.ModelChoiceField(queryset=None, label=_("Domain"))
    file_format = forms.ChoiceField(label=_("Format"), choices=[("csv", "CSV"), ("json", "JSON")])

    def __init__(self, *args, domains, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["domain"].queryset = domains

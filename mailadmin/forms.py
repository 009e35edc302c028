"""The forms every part of the panel shares: confirmations, passwords, spam thresholds, list filters.
Forms check the shape of the input; the services decide everything else."""
import secrets

from django import forms
from django.utils.translation import gettext_lazy as _


def suggested_password() -> str:
    """A passphrase-like suggestion an admin can hand out (about 120 bits)."""
    return "-".join(secrets.token_urlsafe(6) for _ in range(4))


class SpamThresholdField(forms.DecimalField):
    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(min_value=0, max_value=999.9, max_digits=4, decimal_places=1, **kwargs)


NEW_PASSWORD = {"autocomplete": "new-password"}  # also where panel.js offers to generate one


class PasswordForm(forms.Form):
    password = forms.CharField(label=_("New password"), widget=forms.PasswordInput(attrs=NEW_PASSWORD), strip=False)
    confirm = forms.CharField(label=_("The same again"), widget=forms.PasswordInput(attrs=NEW_PASSWORD), strip=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["password"].help_text = _("Suggestion: %(password)s") % {"password": suggested_password()}

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("password") != cleaned.get("confirm"):
            self.add_error("confirm", _("The two passwords differ."))
        return cleaned


class ConfirmForm(forms.Form):
    """An empty form: the POST itself, with its CSRF token, is the confirmation."""


class ListFilterForm(forms.Form):
    """A list's filters, read from the query string (see mailadmin.view_helpers.list_filters)."""

    def filters(self) -> dict:
        """The values given that could be read; a value that could not is left out (and named in `errors`)."""
        self.is_valid()
        return {name: value for name, value in self.cleaned_data.items() if value not in (None, "")}

from django import forms
from django.utils.translation import gettext_lazy as _

from domains.models import Domain
from mailadmin.forms import NEW_PASSWORD, PasswordForm, suggested_password


class AdminForm(forms.Form):
    username = forms.RegexField(regex=r"^[\w.@+-]{1,150}$", max_length=150, label=_("Username"),
                                help_text=_("letters, digits and @ . + - _"))
    email = forms.EmailField(required=False, label=_("Email"))
    password = forms.CharField(label=_("Password"), strip=False,
                               widget=forms.PasswordInput(render_value=True, attrs=NEW_PASSWORD))
    is_superuser = forms.BooleanField(label=_("Superadmin"), required=False,
                                      help_text=_("sees and changes everything; must use two-factor sign-in"))
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    domains = forms.ModelMultipleChoiceField(
        queryset=Domain.objects.order_by("name"), required=False, label=_("Domains"),
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text=_("the domains a domain admin manages"))

    def __init__(self, *args, creating: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if creating:
            del self.fields["is_active"]
            self.fields["password"].help_text = _("Suggestion: %(password)s") % {"password": suggested_password()}
        else:
            del self.fields["username"], self.fields["password"]


class OwnPasswordForm(PasswordForm):
    """An admin setting their own password gives the current one first."""

    current_password = forms.CharField(label=_("Current password"), strip=False,
                                       widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))
    field_order = ["current_password", "password", "confirm"]

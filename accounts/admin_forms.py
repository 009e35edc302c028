from django import forms

from domains.models import Domain
from mailadmin.forms import NEW_PASSWORD, PasswordForm, suggested_password


class AdminForm(forms.Form):
    username = forms.RegexField(regex=r"^[\w.@+-]{1,150}$", max_length=150,
                                help_text="letters, digits and @ . + - _")
    email = forms.EmailField(required=False)
    password = forms.CharField(widget=forms.PasswordInput(render_value=True, attrs=NEW_PASSWORD), strip=False)
    is_superuser = forms.BooleanField(label="Superadmin", required=False,
                                      help_text="sees and changes everything; must use two-factor sign-in")
    is_active = forms.BooleanField(label="Active", required=False, initial=True)
    domains = forms.ModelMultipleChoiceField(
        queryset=Domain.objects.order_by("name"), required=False, widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text="the domains a domain admin manages")

    def __init__(self, *args, creating: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if creating:
            del self.fields["is_active"]
            self.fields["password"].help_text = f"Suggestion: {suggested_password()}"
        else:
            del self.fields["username"], self.fields["password"]


class OwnPasswordForm(PasswordForm):
    """An admin setting their own password gives the current one first."""

    current_password = forms.CharField(label="Current password", strip=False,
                                       widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))
    field_order = ["current_password", "password", "confirm"]

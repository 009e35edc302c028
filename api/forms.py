"""The panel's form for a new API key: the shape of the input only; the rules are in api.services."""
from django import forms
from django.utils.translation import gettext_lazy as _

from api.models import ACTIONS
from domains.models import Domain


class ApiKeyForm(forms.Form):
    name = forms.CharField(max_length=100, label=_("Name"), help_text=_("Who uses it, e.g. the billing system's name."))
    all_domains = forms.BooleanField(required=False, label=_("All domains (also creates domains)"))
    domains = forms.ModelMultipleChoiceField(Domain.objects.order_by("name"), required=False,
                                             to_field_name="name", label=_("Domains"),
                                             help_text=_("Or only these domains."))
    read_only = forms.BooleanField(required=False, label=_("Read only"))
    allowed_actions = forms.MultipleChoiceField(choices=[(action, action) for action in ACTIONS], required=False,
                                                label=_("Allowed actions"),
                                                widget=forms.CheckboxSelectMultiple,
                                                help_text=_("None ticked: every action but api_key.manage and "
                                                          "admin.manage, which are given only when ticked."))
    expires_days = forms.IntegerField(min_value=1, max_value=3650, required=False, label=_("Expires after (days)"),
                                      help_text=_("Empty: never."))

"""The panel's form for a new API key: the shape of the input only; the rules are in api.services."""
from django import forms

from api.models import ACTIONS
from domains.models import Domain


class ApiKeyForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="Who uses it, e.g. the billing system's name.")
    all_domains = forms.BooleanField(required=False, label="All domains (also creates domains)")
    domains = forms.ModelMultipleChoiceField(Domain.objects.order_by("name"), required=False,
                                             to_field_name="name", help_text="Or only these domains.")
    read_only = forms.BooleanField(required=False)
    allowed_actions = forms.MultipleChoiceField(choices=[(action, action) for action in ACTIONS], required=False,
                                                widget=forms.CheckboxSelectMultiple,
                                                help_text="None ticked: every action but api_key.manage and "
                                                          "admin.manage, which are given only when ticked.")
    expires_days = forms.IntegerField(min_value=1, max_value=3650, required=False, label="Expires after (days)",
                                      help_text="Empty: never.")

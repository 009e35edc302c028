"""The panel's form for a new webhook: the shape of the input only; the rules are in webhooks.services."""
from django import forms
from django.utils.translation import gettext_lazy as _

from webhooks.events import EVENT_TYPES


class SubscriptionForm(forms.Form):
    url = forms.CharField(max_length=2000, label=_("URL"),
                          help_text=_("http:// or https://, without a user name or password; the worker POSTs to it "
                                    "from this server."))
    event_types = forms.MultipleChoiceField(choices=[(event_type, event_type) for event_type in EVENT_TYPES],
                                            widget=forms.CheckboxSelectMultiple, label=_("Event types"))
    description = forms.CharField(max_length=200, required=False, label=_("Description"))
    active = forms.BooleanField(required=False, initial=True, label=_("Active"),
                                help_text=_("Unticked: nothing is sent to it."))

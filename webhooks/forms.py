"""The panel's form for a new webhook: the shape of the input only; the rules are in webhooks.services."""
from django import forms

from webhooks.events import EVENT_TYPES


class SubscriptionForm(forms.Form):
    url = forms.CharField(max_length=2000, label="URL",
                          help_text="http:// or https://, without a user name or password; the worker POSTs to it "
                                    "from this server.")
    event_types = forms.MultipleChoiceField(choices=[(event_type, event_type) for event_type in EVENT_TYPES],
                                            widget=forms.CheckboxSelectMultiple)
    description = forms.CharField(max_length=200, required=False)
    active = forms.BooleanField(required=False, initial=True, help_text="Unticked: nothing is sent to it.")

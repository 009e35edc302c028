from django import forms
from django.utils.translation import gettext_lazy as _

from domains.password_policy import MAX_LENGTH
from mailadmin.forms import SpamThresholdField


class SignInForm(forms.Form):
    address = forms.CharField(max_length=254, label=_("Email address"),
                              widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True}))
    password = forms.CharField(label=_("Password"), strip=False, max_length=MAX_LENGTH,
                               widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))


class PasswordChangeForm(forms.Form):
    current_password = forms.CharField(label=_("Current password"), strip=False, max_length=MAX_LENGTH,
                                       widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))
    new_password1 = forms.CharField(label=_("New password"), strip=False, max_length=MAX_LENGTH,
                                    widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    new_password2 = forms.CharField(label=_("New password again"), strip=False, max_length=MAX_LENGTH,
                                    widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("new_password1") != cleaned.get("new_password2"):
            self.add_error("new_password2", _("The two new passwords differ."))
        return cleaned


class SpamThresholdForm(forms.Form):
    spam_threshold = SpamThresholdField(label=_("Spam threshold"),
                                        help_text=_("empty = your domain's threshold"))


class AutoReplyForm(forms.Form):
    # Offered while the owner has written none, in the owner's language.
    DEFAULTS = {"vacation_subject": _("Out of office"),
                "vacation_text": _("Thank you for your message. I am away and will read it when I am back.")}
    vacation_active = forms.BooleanField(required=False, label=_("Send an auto-reply"))
    vacation_subject = forms.CharField(max_length=200, required=False, label=_("Subject"))
    vacation_text = forms.CharField(max_length=5000, required=False, label=_("Text"), widget=forms.Textarea(
        attrs={"rows": 6}))
    vacation_start = forms.DateField(required=False, label=_("First day"), help_text=_("optional, YYYY-MM-DD"),
                                     widget=forms.DateInput(attrs={"type": "date"}))
    vacation_end = forms.DateField(required=False, label=_("Last day"), help_text=_("optional, YYYY-MM-DD"),
                                   widget=forms.DateInput(attrs={"type": "date"}))
    vacation_days = forms.IntegerField(min_value=1, max_value=30, initial=1, label=_("Days between replies"),
                                       help_text=_("each sender gets at most one reply in this many days"))


class ForwardingForm(forms.Form):
    forward_to = forms.CharField(required=False, label=_("Forward to"), widget=forms.Textarea(attrs={"rows": 3}),
                                 help_text=_("one address per line; empty = no forwarding"))
    forward_keep_copy = forms.BooleanField(required=False, initial=True, label=_("Keep a copy in this mailbox"))

    def clean_forward_to(self):
        return [line.strip() for line in self.cleaned_data["forward_to"].splitlines() if line.strip()]

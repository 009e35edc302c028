from django import forms


class CodeForm(forms.Form):
    """One code: from the authenticator app or, where the page allows it, a recovery code."""

    code = forms.CharField(
        label="Code", max_length=32, strip=True,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autofocus": True, "spellcheck": "false"}),
    )

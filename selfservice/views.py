"""Mailbox owners' pages under /me/: thin views over selfservice.services.

Owners are not panel users: their session holds the mailbox's id (session.py), never a
Django user, so an owner's session reaches no admin page and an admin's reaches no owner page.
"""
from functools import wraps

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from accounts import lockout
from accounts.lockout import MAILBOX
from domains.errors import CurrentPasswordWrong
from domains.mailserver import MailServerError
from domains.models import MailboxUsage
from domains.services import mailbox_set_password
from mailadmin.client_ip import client_ip
from mailadmin.view_helpers import call_service, posted
from selfservice import forms, mailclients, selectors, services, session

LOCKED = gettext_lazy("Too many failed attempts. Wait 15 minutes, then try again.")


def mailbox_required(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        request.mailbox = session.signed_in_mailbox(request)
        if request.mailbox is None:
            return redirect("selfservice_login")
        return view(request, *args, **kwargs)
    return wrapper


def _actor(request):
    return services.owner_actor(request.mailbox, ip=client_ip(request))


@require_http_methods(["GET", "POST"])
def sign_in(request):
    if session.signed_in_mailbox(request):
        return redirect("selfservice_home")
    form = forms.SignInForm(posted(request))
    status = 200
    if request.method == "POST" and form.is_valid():
        address = form.cleaned_data["address"]
        if lockout.locked(request, MAILBOX, address):
            status = 429
        else:
            mailbox = services.mailbox_authenticate(address=address, password=form.cleaned_data["password"])
            if mailbox is not None:
                lockout.succeeded(request, MAILBOX, address)
                session.sign_in(request, mailbox)
                return redirect("selfservice_home")
            status = 429 if lockout.failed(request, MAILBOX, address) else 200
        if status == 429:
            form.add_error(None, LOCKED)
        else:
            form.add_error(None, _("That address and password do not match an account."))
    return render(request, "selfservice/login.html", {"form": form}, status=status)


@require_POST
def sign_out(request):
    session.sign_out(request)
    return redirect("selfservice_login")


@mailbox_required
def home(request):
    mailbox = request.mailbox
    usage = MailboxUsage.objects.filter(username=mailbox.email).first()
    used = usage.bytes if usage else 0
    return render(request, "selfservice/home.html", {
        "mailbox": mailbox,
        "usage": usage,
        "used": used,
        "percent": min(100, used * 100 // mailbox.quota) if mailbox.quota else None,
        "threshold": selectors.effective_spam_threshold(mailbox),
        "rules": selectors.rules_of(mailbox),
        "webmail_url": mailclients.webmail_url(),
    })


@mailbox_required
@require_http_methods(["GET", "POST"])
def password_change(request):
    """Wrong current passwords count like failed sign-ins: a session left open is no way to
    find out the password."""
    form = forms.PasswordChangeForm(posted(request))
    address = request.mailbox.email
    if request.method == "POST" and form.is_valid():
        if lockout.locked(request, MAILBOX, address):
            form.add_error(None, LOCKED)
            return _form_page(request, form, _("Change your password"), _("Change password"), status=429)
        try:
            mailbox = mailbox_set_password(actor=_actor(request), mailbox=request.mailbox,
                                           password=form.cleaned_data["new_password1"],
                                           current_password=form.cleaned_data["current_password"])
        except CurrentPasswordWrong as wrong:
            lockout.failed(request, MAILBOX, address)
            form.add_error("current_password", wrong)
        except ValidationError as refused:
            form.add_error(None, refused)
        else:
            session.sign_in(request, mailbox)  # this session stays signed in with the new password
            messages.success(request, _("Your password was changed. Use the new one in your mail programs."))
            return redirect("selfservice_home")
    return _form_page(request, form, _("Change your password"), _("Change password"))


@mailbox_required
@require_http_methods(["GET", "POST"])
def spam_threshold(request):
    mailbox = request.mailbox
    form = forms.SpamThresholdForm(posted(request), initial={"spam_threshold": mailbox.spam_threshold})
    if request.method == "POST" and form.is_valid():
        if call_service(form, services.own_spam_threshold_set, actor=_actor(request), mailbox=mailbox,
                        threshold=form.cleaned_data["spam_threshold"]):
            messages.success(request, _("Your spam threshold was saved."))
            return redirect("selfservice_home")
    domain = mailbox.domain
    note = _("Mail scoring at least this much goes to Junk. Choose from %(low)s to %(high)s; lower catches more.") % {
        "low": number_format(domain.user_spam_threshold_min), "high": number_format(domain.user_spam_threshold_max)}
    return _form_page(request, form, _("Spam threshold"), _("Save"), note=note)


@mailbox_required
@require_http_methods(["GET", "POST"])
def auto_reply(request):
    return _rules_page(request, forms.AutoReplyForm, _("Auto-reply"))


@mailbox_required
@require_http_methods(["GET", "POST"])
def forwarding(request):
    return _rules_page(request, forms.ForwardingForm, _("Forwarding"))


def _rules_page(request, form_class, title):
    rules = selectors.rules_of(request.mailbox)
    initial = {name: getattr(rules, name) for name in form_class.base_fields}
    if "forward_to" in initial:
        initial["forward_to"] = "\n".join(rules.forward_to)
    for name, default in getattr(form_class, "DEFAULTS", {}).items():
        initial[name] = initial[name] or default
    form = form_class(posted(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.own_rules_set(actor=_actor(request), mailbox=request.mailbox, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        except MailServerError as error:
            form.add_error(None, _("Saved, but the mail server did not take the rules yet (%(error)s). Save again in "
                                   "a moment.") % {"error": error})
        else:
            messages.success(request, _("%(title)s: saved. It applies to mail arriving from now on.")
                             % {"title": title})
            return redirect("selfservice_home")
    return _form_page(request, form, title, _("Save"))


def _form_page(request, form, title, submit, note="", status=200):
    return render(request, "form.html", {"form": form, "title": title, "submit": submit, "note": note,
                                         "mailbox": request.mailbox, "base": "selfservice/base.html",
                                         "cancel": "selfservice_home"}, status=status)

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from domains import selectors, services
from domains.errors import BulkRejected
from domains.forms import MailboxBulkForm, MailboxForm, RenameForm, SearchForm
from domains.scope import Scope
from domains.services.suspension import BILLING
from mailadmin.forms import ConfirmForm, PasswordForm
from mailadmin.view_helpers import actor_of, call_service, list_filters, page_of, posted, render_list

EDITABLE = ("display_name", "quota", "spam_threshold", "active")


@login_required
def mailbox_list(request):
    filters, form = list_filters(request, SearchForm)
    search = filters.get("q", "")
    scope = Scope.of_user(request.user)
    page = page_of(request, selectors.mailbox_list_for(scope, prefix=search))
    bulk = MailboxBulkForm(mailboxes=selectors.mailboxes_visible_to(scope))
    return render_list(request, "domains/mailbox_list.html", {"page": page, "search": search, "bulk": bulk}, form)


DONE = {
    MailboxBulkForm.SUSPEND: ngettext_lazy("%(count)d mailbox suspended.", "%(count)d mailboxes suspended.", "count"),
    MailboxBulkForm.RESUME: ngettext_lazy("%(count)d mailbox resumed.", "%(count)d mailboxes resumed.", "count"),
    MailboxBulkForm.QUOTA: ngettext_lazy("%(count)d mailbox given the quota.", "%(count)d mailboxes given the quota.",
                                         "count"),
    MailboxBulkForm.SPAM_THRESHOLD: ngettext_lazy("%(count)d mailbox given the spam threshold.",
                                                  "%(count)d mailboxes given the spam threshold.", "count"),
    MailboxBulkForm.DELETE: ngettext_lazy("%(count)d mailbox deleted.", "%(count)d mailboxes deleted.", "count"),
}


def _back(request) -> str:
    """Where a bulk action returns: the mailbox table it was started from (the list or a domain's page)."""
    back = request.POST.get("next", "")
    if back and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        return back
    return "/mailboxes/"


@login_required
@require_POST
def mailbox_bulk(request):
    """The list's bulk actions: all the ticked mailboxes change, or none (each change audited as
    a single one); deleting asks for the number of mailboxes to be typed first."""
    form = MailboxBulkForm(request.POST, mailboxes=selectors.mailboxes_visible_to(Scope.of_user(request.user)))
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(_back(request))
    mailboxes = sorted(form.cleaned_data["mailboxes"], key=lambda mailbox: mailbox.email)
    action = form.cleaned_data["action"]
    if action == MailboxBulkForm.DELETE and not form.confirmed():
        return render(request, "domains/mailbox_bulk_delete.html", {"form": form, "mailboxes": mailboxes,
                      "retention": settings.MAILADMIN_MAILSTORE_RETENTION_DAYS,
                      "mistyped": form.cleaned_data.get("confirm") is not None,
                      "next": request.POST.get("next", "") and _back(request)})
    try:
        if action == MailboxBulkForm.DELETE:
            services.mailboxes_delete_many(actor=actor_of(request), mailboxes=mailboxes)
        else:
            services.mailboxes_update_many(actor=actor_of(request), mailboxes=mailboxes, **form.changes())
    except BulkRejected as rejected:
        for index, errors in sorted(rejected.item_errors.items()):
            for error in errors:
                messages.error(request, f"{mailboxes[index].email}: {error.message % (error.params or {})}")
        messages.error(request, _("Nothing was changed."))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, DONE[action] % {"count": len(mailboxes)})
    return redirect(_back(request))


@login_required
@require_http_methods(["GET", "POST"])
def mailbox_create(request, domain_pk):
    domain = selectors.domain_get_for(Scope.of_user(request.user), pk=domain_pk)
    form = MailboxForm(posted(request), fields=("local_part", "password", *EDITABLE))
    if request.method == "POST" and form.is_valid():
        mailbox = call_service(form, services.mailbox_create, actor=actor_of(request), domain=domain,
                               **form.cleaned_data)
        if mailbox:
            messages.success(request, _("The mailbox %(address)s was created.") % {"address": mailbox.email})
            return redirect("domain_detail", pk=domain.pk)
    return render(request, "form.html", {"form": form, "title": _("New mailbox in %(domain)s") % {"domain": domain},
                                         "submit": _("Create"),
                                         "suffix": f"@{domain}"})


@login_required
@require_http_methods(["GET", "POST"])
def mailbox_edit(request, pk):
    mailbox = selectors.mailbox_get_for(Scope.of_user(request.user), pk=pk)
    form = MailboxForm(posted(request), initial={name: getattr(mailbox, name) for name in EDITABLE},
                       fields=EDITABLE)
    if mailbox.suspended_by == BILLING:
        form.fields["active"].help_text = _("Suspended by the billing system: only a superadmin may resume it.")
    if request.method == "POST" and form.is_valid():
        changes = dict(form.cleaned_data)
        if changes["quota"] is None:
            changes["quota"] = mailbox.domain.default_quota
        if call_service(form, services.mailbox_update, actor=actor_of(request), mailbox=mailbox, **changes):
            messages.success(request, _("The mailbox %(address)s was saved.") % {"address": mailbox.email})
            return redirect("domain_detail", pk=mailbox.domain_id)
    return render(request, "form.html", {"form": form, "title": _("Edit %(address)s") % {"address": mailbox.email},
                                         "submit": _("Save")})


@login_required
@require_http_methods(["GET", "POST"])
def mailbox_password(request, pk):
    mailbox = selectors.mailbox_get_for(Scope.of_user(request.user), pk=pk)
    form = PasswordForm(posted(request))
    if request.method == "POST" and form.is_valid():
        if call_service(form, services.mailbox_set_password, actor=actor_of(request), mailbox=mailbox,
                        password=form.cleaned_data["password"]):
            messages.success(request, _("The password of %(address)s was changed.") % {"address": mailbox.email})
            return redirect("domain_detail", pk=mailbox.domain_id)
    title = _("New password for %(address)s") % {"address": mailbox.email}
    return render(request, "form.html", {"form": form, "title": title,
                                         "submit": _("Set password")})


@login_required
@require_http_methods(["GET", "POST"])
def mailbox_rename(request, pk):
    mailbox = selectors.mailbox_get_for(Scope.of_user(request.user), pk=pk)
    old = mailbox.email
    form = RenameForm(posted(request), initial={"local_part": old.split("@")[0]})
    if request.method == "POST" and form.is_valid():
        if renamed := call_service(form, services.mailbox_rename, actor=actor_of(request), mailbox=mailbox,
                                   **form.cleaned_data):
            messages.success(request, _("%(old)s is now %(new)s; its mail stays with it.")
                             % {"old": old, "new": renamed.email})
            return redirect("domain_detail", pk=mailbox.domain_id)
    return render(request, "form.html", {"form": form, "title": _("Rename %(address)s") % {"address": old},
                                         "submit": _("Rename"),
                                         "suffix": f"@{mailbox.domain}"})


@login_required
@require_http_methods(["GET", "POST"])
def mailbox_delete(request, pk):
    mailbox = selectors.mailbox_get_for(Scope.of_user(request.user), pk=pk)
    form = ConfirmForm(posted(request))
    if request.method == "POST" and form.is_valid():
        services.mailbox_delete(actor=actor_of(request), mailbox=mailbox)
        messages.success(request, _("The mailbox %(address)s was deleted.") % {"address": mailbox.email})
        return redirect("domain_detail", pk=mailbox.domain_id)
    what = _("The mailbox and its sign-in go at once. Its stored mail is archived and kept for %(days)d days, so "
             "that it can be restored.") % {"days": settings.MAILADMIN_MAILSTORE_RETENTION_DAYS}
    title = _("Delete %(address)s?") % {"address": mailbox.email}
    return render(request, "confirm_delete.html", {"form": form, "title": title,
                                                   "what": what})

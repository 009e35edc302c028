from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from domains import selectors, services
from domains.forms import MailboxForm, RenameForm, SearchForm
from domains.scope import Scope
from domains.services.suspension import BILLING
from mailadmin.forms import ConfirmForm, PasswordForm
from mailadmin.view_helpers import actor_of, call_service, list_filters, page_of, posted, render_list

EDITABLE = ("display_name", "quota", "spam_threshold", "active")


@login_required
def mailbox_list(request):
    filters, form = list_filters(request, SearchForm)
    search = filters.get("q", "")
    page = page_of(request, selectors.mailbox_list_for(Scope.of_user(request.user), prefix=search))
    return render_list(request, "domains/mailbox_list.html", {"page": page, "search": search}, form)


@login_required
@require_http_methods(["GET", "POST"])
def mailbox_create(request, domain_pk):
    domain = selectors.domain_get_for(Scope.of_user(request.user), pk=domain_pk)
    form = MailboxForm(posted(request), fields=("local_part", "password", *EDITABLE))
    if request.method == "POST" and form.is_valid():
        mailbox = call_service(form, services.mailbox_create, actor=actor_of(request), domain=domain,
                               **form.cleaned_data)
        if mailbox:
            messages.success(request, f"The mailbox {mailbox.email} was created.")
            return redirect("domain_detail", pk=domain.pk)
    return render(request, "form.html", {"form": form, "title": f"New mailbox in {domain}", "submit": "Create",
                                         "suffix": f"@{domain}"})


@login_required
@require_http_methods(["GET", "POST"])
def mailbox_edit(request, pk):
    mailbox = selectors.mailbox_get_for(Scope.of_user(request.user), pk=pk)
    form = MailboxForm(posted(request), initial={name: getattr(mailbox, name) for name in EDITABLE},
                       fields=EDITABLE)
    if mailbox.suspended_by == BILLING:
        form.fields["active"].help_text = "Suspended by the billing system: only a superadmin may resume it."
    if request.method == "POST" and form.is_valid():
        changes = dict(form.cleaned_data)
        if changes["quota"] is None:
            changes["quota"] = mailbox.domain.default_quota
        if call_service(form, services.mailbox_update, actor=actor_of(request), mailbox=mailbox, **changes):
            messages.success(request, f"The mailbox {mailbox.email} was saved.")
            return redirect("domain_detail", pk=mailbox.domain_id)
    return render(request, "form.html", {"form": form, "title": f"Edit {mailbox.email}", "submit": "Save"})


@login_required
@require_http_methods(["GET", "POST"])
def mailbox_password(request, pk):
    mailbox = selectors.mailbox_get_for(Scope.of_user(request.user), pk=pk)
    form = PasswordForm(posted(request))
    if request.method == "POST" and form.is_valid():
        if call_service(form, services.mailbox_set_password, actor=actor_of(request), mailbox=mailbox,
                        password=form.cleaned_data["password"]):
            messages.success(request, f"The password of {mailbox.email} was changed.")
            return redirect("domain_detail", pk=mailbox.domain_id)
    return render(request, "form.html", {"form": form, "title": f"New password for {mailbox.email}",
                                         "submit": "Set password"})


@login_required
@require_http_methods(["GET", "POST"])
def mailbox_rename(request, pk):
    mailbox = selectors.mailbox_get_for(Scope.of_user(request.user), pk=pk)
    old = mailbox.email
    form = RenameForm(posted(request), initial={"local_part": old.split("@")[0]})
    if request.method == "POST" and form.is_valid():
        if renamed := call_service(form, services.mailbox_rename, actor=actor_of(request), mailbox=mailbox,
                                   **form.cleaned_data):
            messages.success(request, f"{old} is now {renamed.email}; its mail stays with it.")
            return redirect("domain_detail", pk=mailbox.domain_id)
    return render(request, "form.html", {"form": form, "title": f"Rename {old}", "submit": "Rename",
                                         "suffix": f"@{mailbox.domain}"})


@login_required
@require_http_methods(["GET", "POST"])
def mailbox_delete(request, pk):
    mailbox = selectors.mailbox_get_for(Scope.of_user(request.user), pk=pk)
    form = ConfirmForm(posted(request))
    if request.method == "POST" and form.is_valid():
        services.mailbox_delete(actor=actor_of(request), mailbox=mailbox)
        messages.success(request, f"The mailbox {mailbox.email} was deleted.")
        return redirect("domain_detail", pk=mailbox.domain_id)
    what = (f"The mailbox and its sign-in go at once. Its stored mail is archived and kept for "
            f"{settings.MAILADMIN_MAILSTORE_RETENTION_DAYS} days, so that it can be restored.")
    return render(request, "confirm_delete.html", {"form": form, "title": f"Delete {mailbox.email}?", "what": what})

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from domains import dns_records, selectors, services
from domains.forms import DomainDeleteForm, DomainForm, MailboxBulkForm, SearchForm
from domains.models import DkimKey
from domains.scope import Scope
from domains.services.domains import domain_settings_for
from mailadmin.attention import attention_for
from mailadmin.view_helpers import (
    actor_of,
    call_service,
    list_filters,
    page_of,
    posted,
    render_list,
    require_superadmin,
)


def editable_fields(scope: Scope) -> frozenset[str]:
    """The settings the service's rule leaves to the caller's scope; a superadmin also suspends."""
    suspends = {"active"} if scope.all_domains else set()
    return domain_settings_for(all_domains=scope.all_domains) | suspends


@login_required
def domain_list(request):
    filters, form = list_filters(request, SearchForm)
    search = filters.get("q", "")
    page = page_of(request, selectors.domain_list_for(Scope.of_user(request.user), prefix=search))
    # The first page (no search, no later page) begins with what needs attention.
    attention = None if request.GET else attention_for(request.user)
    return render_list(request, "domains/domain_list.html", {"page": page, "search": search, "attention": attention},
                       form)


@login_required
@require_http_methods(["GET", "POST"])
def domain_create(request):
    require_superadmin(request.user)
    fields = {"name", *editable_fields(Scope.of_user(request.user)), "role_aliases_to"}
    form = DomainForm(posted(request), fields=fields)
    if request.method == "POST" and form.is_valid():
        domain = call_service(form, services.domain_create, actor=actor_of(request), **form.cleaned_data)
        if domain:
            messages.success(request, _("The domain %(domain)s was created.") % {"domain": domain})
            return redirect("domain_detail", pk=domain.pk)
    return render(request, "form.html", {"form": form, "title": _("New domain"), "submit": _("Create domain")})


@login_required
def domain_detail(request, pk):
    scope = Scope.of_user(request.user)
    domain = selectors.domain_get_for(scope, pk=pk)
    filters, form = list_filters(request, SearchForm)
    search = filters.get("q", "")
    context = {
        "domain": domain,
        "page": page_of(request, selectors.mailbox_list_for(scope, domain=domain, prefix=search)),
        "search": search,
        "aliases": selectors.alias_sources_of(domain),
        "bulk": MailboxBulkForm(mailboxes=selectors.mailboxes_visible_to(scope, domain=domain)),
        "dns_records": dns_records.expected(domain),
    }
    return render_list(request, "domains/domain_detail.html", context, form)


@login_required
@require_http_methods(["GET", "POST"])
def domain_edit(request, pk):
    scope = Scope.of_user(request.user)
    domain = selectors.domain_get_for(scope, pk=pk)
    fields = editable_fields(scope)
    initial = {name: getattr(domain, name) for name in fields}
    form = DomainForm(posted(request), initial=initial, fields=fields)
    if request.method == "POST" and form.is_valid():
        changes = {name: value for name, value in form.cleaned_data.items() if name in fields}
        if call_service(form, services.domain_update, actor=actor_of(request), domain=domain, **changes):
            messages.success(request, _("The domain %(domain)s was saved.") % {"domain": domain})
            return redirect("domain_detail", pk=domain.pk)
    return render(request, "form.html", {"form": form, "title": _("Edit %(domain)s") % {"domain": domain},
                                         "submit": _("Save")})


@login_required
@require_http_methods(["GET", "POST"])
def domain_delete(request, pk):
    require_superadmin(request.user)
    scope = Scope.of_user(request.user)
    domain = selectors.domain_get_for(scope, pk=pk)
    form = DomainDeleteForm(posted(request), domain=domain)
    if request.method == "POST" and form.is_valid():
        services.domain_delete(actor=actor_of(request), domain=domain)
        messages.success(request, _("The domain %(domain)s was deleted.") % {"domain": domain})
        return redirect("home")
    figures = selectors.domain_list_for(scope).get(pk=domain.pk)
    context = {"form": form, "domain": domain, "mailbox_count": figures.mailbox_count,
               "alias_count": figures.alias_count, "stored": figures.quota_used,
               "retention_days": settings.MAILADMIN_MAILSTORE_RETENTION_DAYS}
    return render(request, "domains/domain_delete.html", context)


@login_required
def domain_dns(request, pk):
    """The records to publish, each as DNS answers it now (the resolvers of the settings)."""
    domain = selectors.domain_get_for(Scope.of_user(request.user), pk=pk)
    keys = domain.dkim_keys.filter(retired=None).order_by("-signing", "activated", "-created")
    return render(request, "domains/domain_dns.html",
                  {"domain": domain, "records": dns_records.check(domain), "keys": keys})


@login_required
@require_http_methods(["POST"])
def dkim_rotate(request, pk):
    domain = selectors.domain_get_for(Scope.of_user(request.user), pk=pk)
    algorithm = DkimKey.ED25519 if request.POST.get("algorithm") == DkimKey.ED25519 else DkimKey.RSA
    key = services.dkim_key_create(actor=actor_of(request), domain=domain, algorithm=algorithm)
    if key.signing:
        messages.success(request, _("New mail is signed with %(selector)s: publish its record now.")
                         % {"selector": key.selector})
    else:
        messages.success(request, _("The new key %(selector)s does not sign yet: publish its record, then activate "
                                    "it once DNS shows it as found.") % {"selector": key.selector})
    return redirect("domain_dns", pk=domain.pk)


@login_required
@require_http_methods(["POST"])
def dkim_activate(request, pk, selector):
    """Superadmins may force it (the box under the button) while DNS does not show the record yet."""
    domain = selectors.domain_get_for(Scope.of_user(request.user), pk=pk)
    key = get_object_or_404(domain.dkim_keys, selector=selector, retired=None)
    force = request.POST.get("force") == "1" and request.user.is_superuser
    try:
        services.dkim_key_activate(actor=actor_of(request), key=key, force=force)
        messages.success(request, _("New mail is signed with %(selector)s from now on. The key it replaces stays "
                                    "published until you retire it.") % {"selector": selector})
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("domain_dns", pk=domain.pk)


@login_required
@require_http_methods(["POST"])
def dkim_retire(request, pk, selector):
    domain = selectors.domain_get_for(Scope.of_user(request.user), pk=pk)
    key = get_object_or_404(domain.dkim_keys, selector=selector, retired=None)
    try:
        services.dkim_key_retire(actor=actor_of(request), key=key)
        messages.success(request, _("The key %(selector)s was retired: remove its record from DNS.")
                         % {"selector": selector})
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("domain_dns", pk=domain.pk)

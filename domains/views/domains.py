from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from domains import selectors, services
from domains.forms import DomainDeleteForm, DomainForm, SearchForm
from domains.scope import Scope
from domains.services.domains import domain_settings_for
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
    return render_list(request, "domains/domain_list.html", {"page": page, "search": search}, form)


@login_required
@require_http_methods(["GET", "POST"])
def domain_create(request):
    require_superadmin(request.user)
    fields = {"name", *editable_fields(Scope.of_user(request.user)), "role_aliases_to"}
    form = DomainForm(posted(request), fields=fields)
    if request.method == "POST" and form.is_valid():
        domain = call_service(form, services.domain_create, actor=actor_of(request), **form.cleaned_data)
        if domain:
            messages.success(request, f"The domain {domain} was created.")
            return redirect("domain_detail", pk=domain.pk)
    return render(request, "form.html", {"form": form, "title": "New domain", "submit": "Create domain"})


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
        "dns_records": dns_records(domain.name),
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
            messages.success(request, f"The domain {domain} was saved.")
            return redirect("domain_detail", pk=domain.pk)
    return render(request, "form.html", {"form": form, "title": f"Edit {domain}", "submit": "Save"})


@login_required
@require_http_methods(["GET", "POST"])
def domain_delete(request, pk):
    require_superadmin(request.user)
    scope = Scope.of_user(request.user)
    domain = selectors.domain_get_for(scope, pk=pk)
    form = DomainDeleteForm(posted(request), domain=domain)
    if request.method == "POST" and form.is_valid():
        services.domain_delete(actor=actor_of(request), domain=domain)
        messages.success(request, f"The domain {domain} was deleted.")
        return redirect("home")
    figures = selectors.domain_list_for(scope).get(pk=domain.pk)
    context = {"form": form, "domain": domain, "mailbox_count": figures.mailbox_count,
               "alias_count": figures.alias_count, "stored": figures.quota_used,
               "retention_days": settings.MAILADMIN_MAILSTORE_RETENTION_DAYS}
    return render(request, "domains/domain_delete.html", context)


def dns_records(domain_name: str) -> list[tuple[str, str, str]]:
    """The records a domain needs to receive mail here and to be trusted by others."""
    host = settings.MAILSTACK["hostname"]
    return [
        (f"{domain_name}.", "MX", f"10 {host}."),
        (f"{domain_name}.", "TXT", '"v=spf1 mx -all"'),
        (f"_dmarc.{domain_name}.", "TXT", f'"v=DMARC1; p=quarantine; rua=mailto:postmaster@{domain_name}"'),
        (f"{host}.", "A / AAAA", "the mail server's public addresses"),
    ]

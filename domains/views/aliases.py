from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from domains import selectors, services
from domains.errors import BulkRejected
from domains.forms import AliasBulkForm, AliasForm
from domains.models import Alias
from domains.scope import Scope
from mailadmin.forms import ConfirmForm
from mailadmin.view_helpers import actor_of, call_service, posted


@login_required
@require_http_methods(["GET", "POST"])
def alias_create(request, domain_pk):
    domain = selectors.domain_get_for(Scope.of_user(request.user), pk=domain_pk)
    form = AliasForm(posted(request))
    if request.method == "POST" and form.is_valid():
        source = f"{form.cleaned_data['local_part']}@{domain.name}"
        if call_service(form, services.alias_create, actor=actor_of(request), domain=domain, source=source,
                        destinations=form.cleaned_data["destinations"]):
            messages.success(request, _("The alias %(source)s was created.") % {"source": source})
            return redirect("domain_detail", pk=domain.pk)
    return render(request, "form.html", {"form": form, "title": _("New alias in %(domain)s") % {"domain": domain},
                                         "submit": _("Create")})


@login_required
@require_http_methods(["GET", "POST"])
def alias_edit(request, domain_pk, source):
    domain = selectors.domain_get_for(Scope.of_user(request.user), pk=domain_pk)
    initial = {"destinations": "\n".join(selectors.alias_destinations_in(domain, source))}
    form = AliasForm(posted(request), initial=initial, editing=True)
    if request.method == "POST" and form.is_valid():
        try:
            saved = call_service(form, services.alias_set_destinations, actor=actor_of(request), domain=domain,
                                 source=source, destinations=form.cleaned_data["destinations"])
        except Alias.DoesNotExist as gone:
            raise Http404 from gone
        if saved:
            messages.success(request, _("The alias %(source)s was saved.") % {"source": source})
            return redirect("domain_detail", pk=domain.pk)
    return render(request, "form.html", {"form": form, "title": _("Edit %(source)s") % {"source": source},
                                         "submit": _("Save")})


@login_required
@require_http_methods(["GET", "POST"])
def alias_delete(request, domain_pk, source):
    domain = selectors.domain_get_for(Scope.of_user(request.user), pk=domain_pk)
    destinations = selectors.alias_destinations_in(domain, source)
    form = ConfirmForm(posted(request))
    if request.method == "POST" and form.is_valid():
        services.alias_delete(actor=actor_of(request), domain=domain, source=source)
        messages.success(request, _("The alias %(source)s was deleted.") % {"source": source})
        return redirect("domain_detail", pk=domain.pk)
    what = _("Mail to it stops going to %(destinations)s.") % {"destinations": ", ".join(destinations)}
    return render(request, "confirm_delete.html", {"form": form, "title": _("Delete %(source)s?") % {"source": source},
                                                   "what": what})


@login_required
@require_POST
def alias_bulk(request, domain_pk):
    """Deletes the ticked aliases of the domain page, all or none (each audited as a single
    delete), once the number of aliases is typed."""
    domain = selectors.domain_get_for(Scope.of_user(request.user), pk=domain_pk)
    form = AliasBulkForm(request.POST, sources=selectors.alias_sources_visible_to(
        Scope.of_user(request.user), domain=domain).values_list("source", flat=True))
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("domain_detail", pk=domain.pk)
    sources = sorted(form.cleaned_data["sources"])
    if not form.confirmed():
        return render(request, "domains/alias_bulk_delete.html", {
            "domain": domain, "sources": sources, "mistyped": form.cleaned_data.get("confirm") is not None})
    try:
        services.aliases_delete_many(actor=actor_of(request), aliases=[(domain, source) for source in sources])
    except BulkRejected as rejected:
        for index, errors in sorted(rejected.item_errors.items()):
            for error in errors:
                messages.error(request, f"{sources[index]}: {error.message % (error.params or {})}")
        messages.error(request, _("Nothing was changed."))
    else:
        messages.success(request, ngettext("%(count)d alias deleted.", "%(count)d aliases deleted.",
                                           len(sources)) % {"count": len(sources)})
    return redirect("domain_detail", pk=domain.pk)

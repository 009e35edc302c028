from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from domains import selectors, services
from domains.forms import AliasForm
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

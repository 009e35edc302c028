from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from domains import selectors
from domains.views.common import page_of


@login_required
def audit_list(request):
    entries = selectors.audit_visible_to(request.user)
    filters = {name: request.GET.get(name, "").strip() for name in ("domain", "actor", "since", "until")}
    if filters["domain"]:
        entries = entries.filter(domain_name=filters["domain"].lower())
    if filters["actor"]:
        entries = entries.filter(actor_label=filters["actor"])
    if filters["since"]:
        entries = entries.filter(at__date__gte=filters["since"])
    if filters["until"]:
        entries = entries.filter(at__date__lte=filters["until"])
    return render(request, "domains/audit_list.html", {"page": page_of(request, entries), "filters": filters})

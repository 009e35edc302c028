from django.contrib.auth.decorators import login_required

from domains import selectors
from domains.forms import AuditFilterForm
from domains.scope import Scope
from mailadmin.view_helpers import list_filters, page_of, render_list


@login_required
def audit_list(request):
    entries = selectors.audit_visible_to(Scope.of_user(request.user))
    filters, form = list_filters(request, AuditFilterForm)
    if "domain" in filters:
        entries = entries.filter(domain_name=filters["domain"].lower())
    if "actor" in filters:
        entries = entries.filter(actor_label=filters["actor"])
    if "since" in filters:
        entries = entries.filter(at__date__gte=filters["since"])
    if "until" in filters:
        entries = entries.filter(at__date__lte=filters["until"])
    return render_list(request, "domains/audit_list.html", {"page": page_of(request, entries), "filters": filters},
                       form)

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from domains import selectors, services
from domains.scope import Scope
from mailadmin.forms import ConfirmForm
from mailadmin.view_helpers import actor_of, call_service, page_of


@login_required
def mailstore_list(request):
    page = page_of(request, selectors.mailstore_jobs_visible_to(Scope.of_user(request.user)))
    return render(request, "domains/mailstore_list.html", {"page": page})


@login_required
@require_POST
def mailstore_restore(request, pk):
    """Restores an archived mailbox's mail into the mailbox that now has its address."""
    scope = Scope.of_user(request.user)
    archived = selectors.mailstore_job_get_for(scope, pk)
    mailbox = selectors.mailboxes_visible_to(scope).filter(email=archived.address).first()
    if mailbox is None:
        raise Http404
    form = ConfirmForm(request.POST)
    if call_service(form, services.mailbox_restore, actor=actor_of(request), archived=archived, mailbox=mailbox):
        messages.success(request, _("The mail of %(address)s is being restored.") % {"address": archived.address})
    else:
        messages.error(request, " ".join(form.non_field_errors()))
    return redirect("mailstore_list")

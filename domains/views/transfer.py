"""Import and export in the panel: an uploaded file is checked and imported by the mail-store
worker (domains/transfer/jobs.py), and this page follows it; a domain's export is downloaded."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from domains import selectors
from domains.forms import ExportForm, ImportForm
from domains.models import ImportJob
from domains.scope import Scope
from domains.transfer import jobs
from domains.transfer.export import export_records
from domains.transfer.formats import write_csv, write_json
from mailadmin.view_helpers import actor_of, posted

RECENT = 10


def _jobs_of(user):
    """Each admin follows the files they uploaded; superadmins every file."""
    return ImportJob.objects.all() if user.is_superuser else ImportJob.objects.filter(requested_by=user)


def _export_form(request, data=None):
    return ExportForm(data, domains=selectors.domains_visible_to(Scope.of_user(request.user)).order_by("name"))


@login_required
@require_http_methods(["GET", "POST"])
def transfer(request):
    form = ImportForm(posted(request), request.FILES or None)
    if request.method == "POST" and form.is_valid():
        job = jobs.import_job_create(actor=actor_of(request), upload=form.cleaned_data["file"],
                                     file_format=form.file_format)
        return redirect("import_job", pk=job.pk)
    return render(request, "domains/transfer.html", {
        "form": form, "export": _export_form(request), "jobs": _jobs_of(request.user)[:RECENT]})


@login_required
def import_job(request, pk):
    job = get_object_or_404(_jobs_of(request.user), pk=pk)
    return render(request, "domains/import_job.html", {
        "job": job, "working": job.state in (ImportJob.PENDING, ImportJob.RUNNING),
        "percent": 100 * job.lines_done // job.lines_total if job.lines_total else 0})


@login_required
@require_POST
def import_confirm(request, pk):
    job = get_object_or_404(_jobs_of(request.user), pk=pk)
    if not jobs.import_job_confirm(job=job):
        messages.error(request, _("Only a file checked without problems can be imported."))
    return redirect("import_job", pk=job.pk)


@login_required
@require_POST
def import_cancel(request, pk):
    job = get_object_or_404(_jobs_of(request.user), pk=pk)
    if jobs.import_job_cancel(job=job):
        messages.success(request, _("The file was dropped; nothing was imported."))
    return redirect("transfer")


@login_required
def export(request):
    """A domain's mailboxes (with their password hashes) and aliases, as the import reads them."""
    form = _export_form(request, request.GET)
    if not form.is_valid():
        raise Http404
    domain, file_format = form.cleaned_data["domain"], form.cleaned_data["file_format"]
    response = HttpResponse(content_type="text/csv; charset=utf-8" if file_format == "csv" else "application/json")
    response["Content-Disposition"] = f'attachment; filename="{domain.name}.{file_format}"'
    (write_csv if file_format == "csv" else write_json)(response, export_records(domain))
    return response

"""Superadmins manage the admin accounts; to everyone else these pages do not exist (404)."""
from django.contrib import messages
from django.contrib.auth import get_user_model, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts import lockout, services
from accounts.admin_forms import AdminForm, OwnPasswordForm
from domains.errors import CurrentPasswordWrong
from mailadmin.forms import ConfirmForm, PasswordForm
from mailadmin.view_helpers import actor_of, call_service, page_of, posted, require_superadmin


def _admin(request, pk):
    require_superadmin(request.user)
    return get_object_or_404(get_user_model(), pk=pk)


@login_required
def admin_list(request):
    require_superadmin(request.user)
    admins = get_user_model().objects.prefetch_related("domains").order_by("username")
    return render(request, "accounts/admin_list.html", {"page": page_of(request, admins)})


@login_required
@require_http_methods(["GET", "POST"])
def admin_create(request):
    require_superadmin(request.user)
    form = AdminForm(posted(request), creating=True)
    if request.method == "POST" and form.is_valid():
        if admin := call_service(form, services.admin_create, actor=actor_of(request), **form.cleaned_data):
            messages.success(request, _("The admin %(username)s was created.") % {"username": admin.username})
            return redirect("admin_list")
    return render(request, "form.html", {"form": form, "title": _("New admin"), "submit": _("Create")})


@login_required
@require_http_methods(["GET", "POST"])
def admin_edit(request, pk):
    admin = _admin(request, pk)
    initial = {"email": admin.email, "is_superuser": admin.is_superuser, "is_active": admin.is_active,
               "domains": admin.domains.all()}
    form = AdminForm(posted(request), initial=initial, creating=False)
    if request.method == "POST" and form.is_valid():
        if call_service(form, services.admin_update, actor=actor_of(request), admin=admin, **form.cleaned_data):
            messages.success(request, _("The admin %(username)s was saved.") % {"username": admin.username})
            return redirect("admin_list")
    return render(request, "form.html", {"form": form, "title": _("Edit %(username)s") % {"username": admin.username},
                                         "submit": _("Save")})


@login_required
@require_http_methods(["GET", "POST"])
def admin_password(request, pk):
    """A superadmin sets another admin's password, or their own with the current one."""
    admin = _admin(request, pk)
    if admin.pk == request.user.pk:
        return _own_password(request, done="admin_list")
    form = PasswordForm(posted(request))
    if request.method == "POST" and form.is_valid():
        if call_service(form, services.admin_set_password, actor=actor_of(request), admin=admin,
                        password=form.cleaned_data["password"]):
            messages.success(request, _("The password of %(username)s was changed.") % {"username": admin.username})
            return redirect("admin_list")
    return render(request, "form.html", {"form": form,
                                         "title": _("New password for %(username)s") % {"username": admin.username},
                                         "submit": _("Set password")})


@login_required
@require_http_methods(["GET", "POST"])
def own_password(request):
    """Every admin, domain admins included, changes their own password here."""
    return _own_password(request, done="home")


def _own_password(request, *, done: str):
    """The signed-in admin's own password, given with the current one: a wrong one counts as a
    failed sign-in, so a session left open is no way to find the password out or take the account."""
    admin = request.user
    form = OwnPasswordForm(posted(request))
    status = 200
    if request.method == "POST" and form.is_valid():
        if lockout.locked(request, lockout.ADMIN, admin.get_username()):
            form.add_error(None, _("Too many failed attempts. Wait 15 minutes, then try again."))
            status = 429
        else:
            try:
                admin = services.admin_set_password(actor=actor_of(request), admin=admin,
                                                    password=form.cleaned_data["password"],
                                                    current_password=form.cleaned_data["current_password"])
            except CurrentPasswordWrong as wrong:
                lockout.failed(request, lockout.ADMIN, admin.get_username())
                form.add_error("current_password", wrong)
            except ValidationError as refused:
                form.add_error(None, refused)
            else:
                update_session_auth_hash(request, admin)  # this session stays signed in
                messages.success(request, _("Your password was changed."))
                return redirect(done)
    return render(request, "form.html", {"form": form, "title": _("Your password"), "submit": _("Change password")},
                  status=status)


@login_required
@require_http_methods(["GET", "POST"])
def admin_delete(request, pk):
    admin = _admin(request, pk)
    form = ConfirmForm(posted(request))
    if request.method == "POST" and form.is_valid():
        call_service(form, services.admin_delete, actor=actor_of(request), admin=admin)
        if not form.errors:
            messages.success(request, _("The admin %(username)s was deleted.") % {"username": admin.username})
            return redirect("admin_list")
    return render(request, "confirm_delete.html", {
        "form": form, "title": _("Delete the admin %(username)s?") % {"username": admin.username},
        "what": _("They can no longer sign in to the panel.")})

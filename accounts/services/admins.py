"""Superadmins' changes to admin accounts: one function per change, one transaction, audited.

Only superadmins reach these (the views check); the rules that protect the panel itself live
here: nobody removes or demotes their own account, and the last active superadmin stays.
"""
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from domains.audit import Actor, record
from domains.errors import Conflict, CurrentPasswordWrong


def _snapshot(admin) -> dict:
    return {"username": admin.username, "email": admin.email, "superadmin": admin.is_superuser,
            "active": admin.is_active, "domains": sorted(domain.name for domain in admin.domains.all())}


def _keep_one_superadmin(admin, *, removing: bool):
    users = get_user_model().objects.select_for_update()
    others = users.filter(is_superuser=True, is_active=True).exclude(pk=admin.pk)
    if removing and admin.is_superuser and not others.exists():
        raise ValidationError(_("The last active superadmin cannot be removed or demoted."), code="last_superadmin")


def admin_create(*, actor: Actor, username: str, email: str, password: str, is_superuser: bool, domains) -> object:
    users = get_user_model()
    candidate = users(username=username, email=email, is_superuser=is_superuser, is_staff=False)
    validate_password(password, candidate)
    with transaction.atomic():
        try:
            with transaction.atomic():
                admin = users.objects.create_user(username=username, email=email, password=password,
                                                  is_superuser=is_superuser)
        except IntegrityError as error:
            raise Conflict(_("The username %(username)s is taken."), code="conflict",
                           params={"username": username}) from error
        admin.domains.set([] if is_superuser else domains)
        record(actor, "admin.create", obj=admin, domain=None, after=_snapshot(admin))
    return admin


def admin_update(*, actor: Actor, admin, email: str, is_superuser: bool, is_active: bool, domains) -> object:
    with transaction.atomic():
        admin = get_user_model().objects.select_for_update().get(pk=admin.pk)
        if admin.pk == getattr(actor.user, "pk", None) and (not is_superuser or not is_active):
            raise ValidationError(_("You cannot demote or deactivate your own account."), code="self")
        _keep_one_superadmin(admin, removing=admin.is_superuser and not (is_superuser and is_active))
        before = _snapshot(admin)
        admin.email, admin.is_superuser, admin.is_active = email, is_superuser, is_active
        admin.save(update_fields=["email", "is_superuser", "is_active"])
        admin.domains.set([] if is_superuser else domains)
        record(actor, "admin.update", obj=admin, domain=None, before=before, after=_snapshot(admin))
    return admin


def admin_set_password(*, actor: Actor, admin, password: str, current_password: str | None = None) -> object:
    """Sets an admin's password.  Setting one's own takes the current one too: a session left
    open is no way to take over the account."""
    validate_password(password, admin)
    with transaction.atomic():
        admin = get_user_model().objects.select_for_update().get(pk=admin.pk)
        if admin.pk == getattr(actor.user, "pk", None) and not admin.check_password(current_password or ""):
            raise CurrentPasswordWrong(_("The current password is not correct."), code="current_password")
        admin.set_password(password)
        admin.save(update_fields=["password"])
        record(actor, "admin.set_password", obj=admin, domain=None)
    return admin


def admin_delete(*, actor: Actor, admin) -> None:
    with transaction.atomic():
        admin = get_user_model().objects.select_for_update().get(pk=admin.pk)
        if admin.pk == getattr(actor.user, "pk", None):
            raise ValidationError(_("You cannot delete your own account."), code="self")
        _keep_one_superadmin(admin, removing=True)
        record(actor, "admin.delete", obj=admin, domain=None, before=_snapshot(admin))
        admin.delete()

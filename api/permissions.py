"""Every API request needs a usable key; read-only keys only read; a key's allowed actions hold.
The views are ApiView's (api/views.py), whose `scope` is what the key reaches."""
from django.utils.translation import gettext as _
from rest_framework import exceptions, permissions

from api.models import ApiKey


class HasApiKey(permissions.BasePermission):
    """The action a view performs is `view.actions[method]` (absent for reads)."""

    def has_permission(self, request, view):
        key = request.auth
        if not isinstance(key, ApiKey):
            raise exceptions.NotAuthenticated()
        if request.method in permissions.SAFE_METHODS:
            return True
        if view.scope.read_only:
            raise exceptions.PermissionDenied(_("This API key is read-only."))
        action = view.actions.get(request.method)
        check_action(key, action)
        return True


def check_action(key: ApiKey, action: str | None):
    if action is None or not key.allows(action):
        raise exceptions.PermissionDenied(f"This API key may not {action or 'do this'}.")

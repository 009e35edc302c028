"""The API's accounts: keys that make narrower keys of their own, and domain admins managed by a
key for all domains (a billing system that onboards its customers' admins)."""
from django.contrib.auth import get_user_model
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, status
from rest_framework.response import Response

from accounts.services.admins import admin_create, admin_delete, admin_update
from api import selectors as by_name
from api.authentication import actor_for
from api.models import ApiKey
from api.pagination import AdminCursor, ApiKeyCursor
from api.serializers import (
    AdminCreateIn,
    AdminOut,
    AdminUpdateIn,
    ApiKeyCreatedOut,
    ApiKeyCreateIn,
    ApiKeyOut,
)
from api.services import api_key_create, api_key_revoke
from api.views import ApiView, _created, _valid


class ApiKeyList(ApiView):
    """The keys this key made (never others'). POST makes one within this key's own reach: its
    domains, actions, access and expiry are the ceiling (422 `wider` otherwise), and it is revoked
    with this key."""

    actions = {"POST": "api_key.manage"}
    pagination_class = ApiKeyCursor
    serializer_class = ApiKeyOut

    @extend_schema(responses={200: ApiKeyOut(many=True)})
    def get(self, request):
        return self.paginated(request.auth.children.prefetch_related("domains"), ApiKeyOut)

    @extend_schema(request=ApiKeyCreateIn, responses={201: ApiKeyCreatedOut})
    def post(self, request):
        data = _valid(ApiKeyCreateIn, request.data)
        domains = [by_name.domain(self.scope, name) for name in data.pop("domains")]
        key, plaintext = api_key_create(actor=actor_for(request), domains=domains, parent=request.auth, **data)
        return _created({**ApiKeyOut(key).data, "key": plaintext}, f"/api/v1/api-keys/{key.prefix}/")


class ApiKeyDetail(ApiView):
    actions = {"DELETE": "api_key.manage"}
    serializer_class = ApiKeyOut

    def child(self, prefix: str) -> ApiKey:
        return get_object_or_404(self.request.auth.children.all(), prefix=prefix)

    @extend_schema(responses={200: ApiKeyOut})
    def get(self, request, prefix):
        return Response(ApiKeyOut(self.child(prefix)).data)

    @extend_schema(responses={204: None}, description="Revokes the key and every key made from it, at once.")
    def delete(self, request, prefix):
        api_key_revoke(actor=actor_for(request), key=self.child(prefix), by_key=request.auth)
        return Response(status=status.HTTP_204_NO_CONTENT)


class AdminView(ApiView):
    """Admin accounts reach domains across the key's reach: for keys for all domains only.
    Superadmins are listed, but created, changed and removed in the panel only."""

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if request.method != "OPTIONS" and not self.scope.all_domains:
            raise exceptions.PermissionDenied(_("Only a key for all domains reaches admin accounts."))

    def domains(self, names: list[str]):
        return [by_name.domain(self.scope, name) for name in names]

    def domain_admin(self, username: str):
        admin = get_object_or_404(get_user_model().objects.prefetch_related("domains"), username=username)
        if admin.is_superuser and self.request.method not in ("GET", "HEAD"):
            raise exceptions.PermissionDenied(_("Superadmin accounts are managed in the panel only."))
        return admin


class AdminList(AdminView):
    actions = {"POST": "admin.manage"}
    pagination_class = AdminCursor
    serializer_class = AdminOut

    @extend_schema(responses={200: AdminOut(many=True)})
    def get(self, request):
        return self.paginated(get_user_model().objects.prefetch_related("domains"), AdminOut)

    @extend_schema(request=AdminCreateIn, responses={201: AdminOut},
                   description="Creates a domain admin (never a superadmin) for the given domains.")
    def post(self, request):
        data = _valid(AdminCreateIn, request.data)
        admin = admin_create(actor=actor_for(request), username=data["username"], email=data.get("email", ""),
                             password=data["password"], is_superuser=False,
                             domains=self.domains(data.get("domains", [])))
        return _created(AdminOut(admin).data, f"/api/v1/admins/{admin.username}/")


class AdminDetail(AdminView):
    actions = {"PATCH": "admin.manage", "DELETE": "admin.manage"}
    serializer_class = AdminOut

    @extend_schema(responses={200: AdminOut})
    def get(self, request, username):
        return Response(AdminOut(self.domain_admin(username)).data)

    @extend_schema(request=AdminUpdateIn, responses={200: AdminOut},
                   description="Changes the e-mail address, active state or domains (the list replaces the old one).")
    def patch(self, request, username):
        admin = self.domain_admin(username)
        data = _valid(AdminUpdateIn, request.data)
        domains = self.domains(data["domains"]) if "domains" in data else list(admin.domains.all())
        admin = admin_update(actor=actor_for(request), admin=admin, email=data.get("email", admin.email),
                             is_superuser=False, is_active=data.get("active", admin.is_active), domains=domains)
        return Response(AdminOut(admin).data)

    @extend_schema(responses={204: None})
    def delete(self, request, username):
        admin_delete(actor=actor_for(request), admin=self.domain_admin(username))
        return Response(status=status.HTTP_204_NO_CONTENT)

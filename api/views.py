"""The REST API's views: parse the input, check the key's rights, call one service, serialize."""
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.views import View
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from drf_spectacular.views import SpectacularSwaggerView
from rest_framework import exceptions, status
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from api import idempotency
from api import selectors as by_name
from api.authentication import actor_for
from api.metadata import ApiMetadata
from api.pagination import AliasSourceCursor, AuditCursor, DomainCursor, MailboxCursor, StoredMailCursor
from api.permissions import HasApiKey, check_action
from api.schema import ApiAutoSchema
from api.serializers import (
    AliasBulkIn,
    AliasBulkOut,
    AliasCreateIn,
    AliasOut,
    AliasUpdateIn,
    AuditFilter,
    AuditOut,
    DkimActivateIn,
    DkimKeyCreateIn,
    DkimKeyOut,
    DomainCreateIn,
    DomainDnsOut,
    DomainOut,
    DomainUpdateIn,
    DomainUsageOut,
    ListFilter,
    MailboxAddressesIn,
    MailboxBulkIn,
    MailboxBulkOut,
    MailboxBulkUpdateIn,
    MailboxCreateIn,
    MailboxOut,
    MailboxUpdateIn,
    MailboxUsageOut,
    PasswordIn,
    RenameIn,
    RulesSerializer,
    StoredMailFilter,
    StoredMailOut,
)
from api.throttling import ApiKeyRate
from domains import dns_records, selectors, services
from domains.addresses import domain_of, normalize_domain, split_address
from domains.mailserver import MailServerError
from domains.models import Alias, Mailbox
from domains.scope import Scope
from domains.services.domains import check_domain_settings
from selfservice import services as owner_services
from selfservice.models import MailboxRules as RulesModel
from selfservice.selectors import rules_of

LIST_FILTERS = [
    OpenApiParameter("active", bool, description="only active (true) or suspended (false) ones"),
    OpenApiParameter("prefix", str, description="the name or address starts with this (matched literally)"),
]
# The rule of domains.services.bulk.aliases_create_many, which both alias-creating operations call.
EXISTING_SOURCE = ("A source that exists already is refused with 409 (code `conflict`), even with destinations "
                   "it does not have yet: creating never adds to an alias. Change an alias's destinations with "
                   "`PUT /api/v1/aliases/{source}/`.")


def _valid(serializer_class, data, **kwargs) -> dict:
    serializer = serializer_class(data=data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def _created(body, location: str) -> Response:
    """201 with the new object and its path."""
    return Response(body, status=status.HTTP_201_CREATED, headers={"Location": location})


def _check_query(request, allowed: set[str]):
    """The schema declares each operation's query parameters, each a single value: another one
    (a misspelt filter would list every row) or `?a=1&a=2` (one would be silently kept) is a 400."""
    errors = {name: ["Unknown parameter."] if name not in allowed else ["Give this parameter once."]
              for name, values in request.query_params.lists() if name not in allowed or len(values) > 1}
    if errors:
        raise exceptions.ValidationError(errors)


def _of_domain_named(rows, name: str | None):
    """Rows kept by domain name (the audit log, stored mail: they outlive their domain), of the
    domain `name` (any form of it) when given; a malformed name matches nothing."""
    if name is None:
        return rows
    try:
        return rows.filter(domain_name=normalize_domain(name))
    except ValidationError:
        return rows.none()


class ApiView(GenericAPIView):
    permission_classes = [HasApiKey]
    throttle_classes = [ApiKeyRate]
    schema = ApiAutoSchema()
    metadata_class = ApiMetadata
    actions: dict[str, str] = {}  # method -> the action it performs, checked against the key
    filters: tuple[str, ...] = ()  # the list filters GET takes
    idempotency_claim = None

    def query_parameters(self, method: str) -> set[str]:
        """Those the schema declares: a list's filters and page parameters, on GET only."""
        if method not in ("GET", "HEAD"):
            return set()
        paginator = self.paginator
        pages = {paginator.cursor_query_param, paginator.page_size_query_param} if paginator else set()
        return {*self.filters, *pages}

    @cached_property
    def scope(self) -> Scope:
        """What the request's key reaches (the permission check has made sure there is a key)."""
        return Scope.of_key(self.request.auth)

    def initial(self, request, *args, **kwargs):
        """After the key, its rights and its rate are checked: a POST's Idempotency-Key is claimed."""
        super().initial(request, *args, **kwargs)
        if request.method != "OPTIONS":
            _check_query(request, self.query_parameters(request.method))
        if request.method == "POST":
            self.idempotency_claim = idempotency.begin(request, request.auth)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if self.idempotency_claim is not None:
            claim, self.idempotency_claim = self.idempotency_claim, None
            idempotency.complete(claim, response)
        return response

    def dispatch(self, request, *args, **kwargs):
        try:
            return super().dispatch(request, *args, **kwargs)
        finally:
            if self.idempotency_claim is not None:  # an unhandled error: let a retry do the work
                idempotency.release(self.idempotency_claim)

    def list_filters(self) -> dict | None:
        """The list filters of `filters`, as the selectors take them; None when the list is empty
        anyway (a `domain` that does not exist or is outside the key's scope)."""
        query = _valid(ListFilter, self.request.query_params)
        filters = {name: query.get(name) for name in self.filters if query.get(name) is not None}
        if filters.get("domain"):
            try:
                filters["domain"] = by_name.domain(self.scope, filters["domain"])
            except Http404:
                return None
        return filters

    def paginated(self, queryset, serializer_class):
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(serializer_class(page, many=True).data)


class DomainList(ApiView):
    actions = {"POST": "domain.create"}
    pagination_class = DomainCursor
    serializer_class = DomainOut
    address_field = "name"
    filters = ("active", "prefix")

    @extend_schema(parameters=LIST_FILTERS, responses={200: DomainOut(many=True)})
    def get(self, request):
        return self.paginated(selectors.domains_visible_to(self.scope, **self.list_filters()), DomainOut)

    @extend_schema(request=DomainCreateIn, responses={201: DomainOut})
    def post(self, request):
        if not self.scope.all_domains:
            raise exceptions.PermissionDenied(_("Only a key for all domains may create domains."))
        data = _valid(DomainCreateIn, request.data)
        domain = services.domain_create(actor=actor_for(request), **data)
        return _created(DomainOut(domain).data, f"/api/v1/domains/{domain.name}/")


class DomainDetail(ApiView):
    actions = {"PATCH": "domain.update", "DELETE": "domain.delete"}
    serializer_class = DomainOut

    @extend_schema(responses={200: DomainOut})
    def get(self, request, name):
        return Response(DomainOut(by_name.domain(self.scope, name)).data)

    @extend_schema(request=DomainUpdateIn, responses={200: DomainOut})
    def patch(self, request, name):
        domain = by_name.domain(self.scope, name)
        data = _valid(DomainUpdateIn, request.data)
        check_domain_settings(data, all_domains=self.scope.all_domains)
        if "active" in data:
            check_action(request.auth, "domain.suspend")
        domain = services.domain_update(actor=actor_for(request), domain=domain, **data)
        return Response(DomainOut(domain).data)

    @extend_schema(responses={204: None})
    def delete(self, request, name):
        domain = by_name.domain(self.scope, name)
        if not self.scope.all_domains:
            raise exceptions.PermissionDenied(_("Only a key for all domains may delete domains."))
        services.domain_delete(actor=actor_for(request), domain=domain)
        return Response(status=status.HTTP_204_NO_CONTENT)


class DomainSetActive(ApiView):
    """POST .../suspend/ or .../resume/: the domain's mail is refused while it is suspended."""

    actions = {"POST": "domain.suspend"}
    serializer_class = DomainOut
    active = True

    @extend_schema(request=None, responses={200: DomainOut})
    def post(self, request, name):
        domain = by_name.domain(self.scope, name)
        domain = services.domain_update(actor=actor_for(request), domain=domain, active=self.active)
        return Response(DomainOut(domain).data)


class MailboxList(ApiView):
    actions = {"POST": "mailbox.create"}
    pagination_class = MailboxCursor
    serializer_class = MailboxOut
    address_field = "address"
    filters = ("domain", "active", "prefix")

    @extend_schema(parameters=[OpenApiParameter("domain", str, description="only this domain's mailboxes"),
                               *LIST_FILTERS],
                   responses={200: MailboxOut(many=True)})
    def get(self, request):
        filters = self.list_filters()
        mailboxes = Mailbox.objects.none() if filters is None else selectors.mailboxes_visible_to(self.scope, **filters)
        return self.paginated(mailboxes, MailboxOut)

    @extend_schema(request=MailboxCreateIn, responses={201: MailboxOut})
    def post(self, request):
        data = _valid(MailboxCreateIn, request.data)
        try:
            local_part, domain_name = split_address(data.pop("address"))
        except ValidationError as error:
            raise ValidationError({"address": error.error_list}) from error
        domain = by_name.domain(self.scope, domain_name)
        mailbox = services.mailbox_create(actor=actor_for(request), domain=domain, local_part=local_part, **data)
        return _created(MailboxOut(mailbox).data, f"/api/v1/mailboxes/{mailbox.email}/")


class MailboxDetail(ApiView):
    actions = {"PATCH": "mailbox.update", "DELETE": "mailbox.delete"}
    serializer_class = MailboxOut

    @extend_schema(responses={200: MailboxOut})
    def get(self, request, address):
        return Response(MailboxOut(by_name.mailbox(self.scope, address)).data)

    @extend_schema(request=MailboxUpdateIn, responses={200: MailboxOut})
    def patch(self, request, address):
        mailbox = by_name.mailbox(self.scope, address)
        data = _valid(MailboxUpdateIn, request.data)
        if "active" in data:
            check_action(request.auth, "mailbox.suspend")
        mailbox = services.mailbox_update(actor=actor_for(request), mailbox=mailbox, **data)
        return Response(MailboxOut(mailbox).data)

    @extend_schema(responses={204: None})
    def delete(self, request, address):
        mailbox = by_name.mailbox(self.scope, address)
        services.mailbox_delete(actor=actor_for(request), mailbox=mailbox)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MailboxPassword(ApiView):
    actions = {"POST": "mailbox.set_password"}
    serializer_class = PasswordIn

    @extend_schema(request=PasswordIn, responses={204: None})
    def post(self, request, address):
        mailbox = by_name.mailbox(self.scope, address)
        data = _valid(PasswordIn, request.data)
        services.mailbox_set_password(actor=actor_for(request), mailbox=mailbox, password=data["password"])
        return Response(status=status.HTTP_204_NO_CONTENT)


class MailboxSetActive(ApiView):
    """POST .../suspend/ or .../resume/: a suspended mailbox receives nothing and cannot log in."""

    actions = {"POST": "mailbox.suspend"}
    serializer_class = MailboxOut
    active = True

    @extend_schema(request=None, responses={200: MailboxOut})
    def post(self, request, address):
        mailbox = by_name.mailbox(self.scope, address)
        mailbox = services.mailbox_update(actor=actor_for(request), mailbox=mailbox, active=self.active)
        return Response(MailboxOut(mailbox).data)


class MailboxRename(ApiView):
    """POST .../rename/: a new address in the same domain. The mail stays with the mailbox,
    aliases to it follow, open sessions of the old address end, and the old address is free."""

    actions = {"POST": "mailbox.rename"}
    serializer_class = RenameIn
    address_field = "local_part"

    @extend_schema(request=RenameIn, responses={200: MailboxOut})
    def post(self, request, address):
        mailbox = by_name.mailbox(self.scope, address)
        data = _valid(RenameIn, request.data)
        mailbox = services.mailbox_rename(actor=actor_for(request), mailbox=mailbox, local_part=data["local_part"])
        return Response(MailboxOut(mailbox).data, headers={"Location": f"/api/v1/mailboxes/{mailbox.email}/"})


class MailboxRules(ApiView):
    """The owner's auto-reply and forwarding: read, change some fields (PATCH), or clear (DELETE:
    no auto-reply, no forwarding). A change applies to mail arriving from then on."""

    actions = {"PATCH": "mailbox.rules", "DELETE": "mailbox.rules"}
    serializer_class = RulesSerializer

    @extend_schema(responses={200: RulesSerializer})
    def get(self, request, address):
        return Response(RulesSerializer(rules_of(by_name.mailbox(self.scope, address))).data)

    @extend_schema(request=RulesSerializer, responses={200: RulesSerializer})
    def patch(self, request, address):
        return self._set(request, by_name.mailbox(self.scope, address), _valid(RulesSerializer, request.data))

    @extend_schema(responses={204: None})
    def delete(self, request, address):
        blank = {name: getattr(RulesModel, name).field.get_default() for name in owner_services.RULE_FIELDS}
        self._set(request, by_name.mailbox(self.scope, address), blank)
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _set(self, request, mailbox, changes):
        try:
            rules = owner_services.own_rules_set(actor=actor_for(request), mailbox=mailbox, **changes)
        except MailServerError as error:
            raise MailServerBusy(f"Saved, but the mail server did not take the rules yet ({error}); "
                                 "send the same request again in a moment.") from error
        return Response(RulesSerializer(rules).data)


class MailServerBusy(exceptions.APIException):
    status_code = 503
    default_code = "mail_server"
    wait = 5


class AuditList(ApiView):
    """The audit log of the key's domains (every row for a key for all domains), newest first:
    who changed what, when, from where, with the values before and after. For reconciling."""

    pagination_class = AuditCursor
    serializer_class = AuditOut
    filters = ("domain", "action", "object", "since", "until")

    @extend_schema(parameters=[
        OpenApiParameter("domain", str, description="only this domain's rows (its name, as for domains)"),
        OpenApiParameter("action", str, description="only this action, e.g. `mailbox.create`"),
        OpenApiParameter("object", str, description="only rows about this object (an address, alias source or domain)"),
        OpenApiParameter("since", OpenApiTypes.DATETIME, description="only rows at or after this time (ISO 8601)"),
        OpenApiParameter("until", OpenApiTypes.DATETIME, description="only rows before this time (ISO 8601)")],
        responses={200: AuditOut(many=True)})
    def get(self, request):
        query = _valid(AuditFilter, request.query_params)
        entries = _of_domain_named(selectors.audit_visible_to(self.scope), query.get("domain"))
        for name, lookup in (("action", "action"), ("object", "object_repr"), ("since", "at__gte"),
                             ("until", "at__lt")):
            if name in query:
                entries = entries.filter(**{lookup: query[name]})
        return self.paginated(entries, AuditOut)


class StoredMailList(ApiView):
    """The mail of deleted mailboxes and domains, archived by the mail-store worker and kept for
    MAILADMIN_MAILSTORE_RETENTION_DAYS, and its restores; newest first."""

    pagination_class = StoredMailCursor
    serializer_class = StoredMailOut
    filters = ("domain",)

    @extend_schema(parameters=[OpenApiParameter("domain", str, description="only this domain's stored mail")],
                   responses={200: StoredMailOut(many=True)})
    def get(self, request):
        query = _valid(StoredMailFilter, request.query_params)
        jobs = _of_domain_named(selectors.mailstore_jobs_visible_to(self.scope), query.get("domain"))
        return self.paginated(jobs, StoredMailOut)


class StoredMailRestore(ApiView):
    """POST: the archived mail goes back into the mailbox that now has its address (create the
    mailbox again first, before it receives mail); the mail-store worker does it shortly after."""

    actions = {"POST": "mailbox.restore"}
    serializer_class = StoredMailOut

    @extend_schema(request=None, responses={202: StoredMailOut},
                   parameters=[OpenApiParameter("id", int, OpenApiParameter.PATH, description="the archive's `id`")])
    def post(self, request, id):  # noqa: A002 - the schema's name for it
        if not id.isascii() or not id.isdigit() or len(id) > 18:
            raise Http404
        archived = selectors.mailstore_job_get_for(self.scope, int(id))
        mailbox = selectors.mailboxes_visible_to(self.scope).filter(email=archived.address).first()
        if mailbox is None:
            raise Http404
        job = services.mailbox_restore(actor=actor_for(request), archived=archived, mailbox=mailbox)
        return Response(StoredMailOut(job).data, status=status.HTTP_202_ACCEPTED)


class AliasList(ApiView):
    """Aliases grouped by source, paged over sources (so one source's destinations never straddle pages)."""

    actions = {"POST": "alias.create"}
    pagination_class = AliasSourceCursor
    serializer_class = AliasOut
    address_field = "source"
    filters = ("domain", "prefix")

    @extend_schema(parameters=[OpenApiParameter("domain", str, description="only this domain's aliases"),
                               OpenApiParameter("prefix", str, description="the source starts with this")],
                   responses={200: AliasOut(many=True)})
    def get(self, request):
        filters = self.list_filters()
        sources = Alias.objects.none().values("source") if filters is None else \
            selectors.alias_sources_visible_to(self.scope, **filters)
        page = self.paginate_queryset(sources)
        grouped = selectors.alias_destinations([row["source"] for row in page])
        return self.get_paginated_response(
            AliasOut([{"source": source, "destinations": grouped[source]} for source in grouped], many=True).data)

    @extend_schema(request=AliasCreateIn, responses={201: AliasOut},
                   description=f"Creates an alias: its source with every destination. {EXISTING_SOURCE}")
    def post(self, request):
        data = _valid(AliasCreateIn, request.data)
        try:
            domain_name = domain_of(data["source"])
        except ValidationError as error:
            raise ValidationError({"source": error.error_list}) from error
        domain = by_name.domain(self.scope, domain_name)
        rows = services.alias_create(actor=actor_for(request), domain=domain, source=data["source"],
                                     destinations=data["destinations"])
        source = rows[0].source
        body = {"source": source, "destinations": sorted(row.destination for row in rows)}
        return _created(AliasOut(body).data, f"/api/v1/aliases/{source}/")


class AliasDetail(ApiView):
    """One alias by its source (an address, or @domain for a catch-all) with all its destinations."""

    actions = {"PUT": "alias.update", "DELETE": "alias.delete"}
    serializer_class = AliasOut
    address_field = "source"

    @extend_schema(responses={200: AliasOut})
    def get(self, request, source):
        _, canonical, destinations = by_name.alias(self.scope, source)
        return Response(AliasOut({"source": canonical, "destinations": destinations}).data)

    @extend_schema(request=AliasUpdateIn, responses={200: AliasOut})
    def put(self, request, source):
        domain, canonical, _ = by_name.alias(self.scope, source)
        data = _valid(AliasUpdateIn, request.data)
        try:
            rows = services.alias_set_destinations(actor=actor_for(request), domain=domain, source=canonical,
                                                   destinations=data["destinations"])
        except Alias.DoesNotExist as error:  # deleted meanwhile
            raise Http404 from error
        body = {"source": canonical, "destinations": sorted(row.destination for row in rows)}
        return Response(AliasOut(body).data)

    @extend_schema(responses={204: None})
    def delete(self, request, source):
        domain, canonical, _ = by_name.alias(self.scope, source)
        try:
            services.alias_delete(actor=actor_for(request), domain=domain, source=canonical)
        except Alias.DoesNotExist as error:
            raise Http404 from error
        return Response(status=status.HTTP_204_NO_CONTENT)


class UsageList(ApiView):
    """For billing: per domain in the key's scope, its counts, the quota allocated and the storage used."""

    pagination_class = DomainCursor
    serializer_class = DomainUsageOut
    filters = ("active", "prefix")

    @extend_schema(parameters=LIST_FILTERS, responses={200: DomainUsageOut(many=True)})
    def get(self, request):
        return self.paginated(selectors.domain_list_for(self.scope, **self.list_filters()), DomainUsageOut)


class DomainUsage(ApiView):
    serializer_class = DomainUsageOut

    @extend_schema(responses={200: DomainUsageOut})
    def get(self, request, name):
        domain = by_name.domain(self.scope, name)
        return Response(DomainUsageOut(selectors.domain_list_for(self.scope).get(pk=domain.pk)).data)


class DomainDns(ApiView):
    """The DNS records the domain must publish, each checked against what DNS answers now."""

    serializer_class = DomainDnsOut

    @extend_schema(responses={200: DomainDnsOut})
    def get(self, request, name):
        domain = by_name.domain(self.scope, name)
        records = [record.as_dict() for record in dns_records.check(domain)]
        return Response(DomainDnsOut({"domain": domain.name, "records": records}).data)


def _dkim_key(scope, name, selector):
    domain = by_name.domain(scope, name)
    key = domain.dkim_keys.filter(selector=selector, retired=None).first()
    if key is None:
        raise Http404
    return key


class DkimKeyList(ApiView):
    """The domain's published DKIM keys; POST makes a new one (RSA, or Ed25519 for a second signature),
    published but not signing until activated."""

    actions = {"POST": "domain.dkim"}
    serializer_class = DkimKeyOut

    @extend_schema(responses={200: DkimKeyOut(many=True)})
    def get(self, request, name):
        domain = by_name.domain(self.scope, name)
        keys = domain.dkim_keys.filter(retired=None).order_by("-signing", "activated", "-created")
        return Response(DkimKeyOut(keys, many=True).data)

    @extend_schema(request=DkimKeyCreateIn, responses={201: DkimKeyOut})
    def post(self, request, name):
        domain = by_name.domain(self.scope, name)
        algorithm = _valid(DkimKeyCreateIn, request.data)["algorithm"]
        key = services.dkim_key_create(actor=actor_for(request), domain=domain, algorithm=algorithm)
        return _created(DkimKeyOut(key).data, f"/api/v1/domains/{domain.name}/dkim-keys/{key.selector}/")


class DkimKeyDetail(ApiView):
    """One published key; DELETE retires it (its record may then be removed from DNS)."""

    actions = {"DELETE": "domain.dkim"}
    serializer_class = DkimKeyOut

    @extend_schema(responses={200: DkimKeyOut})
    def get(self, request, name, selector):
        return Response(DkimKeyOut(_dkim_key(self.scope, name, selector)).data)

    @extend_schema(responses={204: None})
    def delete(self, request, name, selector):
        services.dkim_key_retire(actor=actor_for(request), key=_dkim_key(self.scope, name, selector))
        return Response(status=status.HTTP_204_NO_CONTENT)


class DkimKeyActivate(ApiView):
    """The key signs the domain's new mail from now on; refused (422) while DNS does not publish
    its record, unless `force` by a key for all domains."""

    actions = {"POST": "domain.dkim"}
    serializer_class = DkimKeyOut

    @extend_schema(request=DkimActivateIn, responses={200: DkimKeyOut})
    def post(self, request, name, selector):
        key = _dkim_key(self.scope, name, selector)
        data = _valid(DkimActivateIn, request.data)
        if data["force"] and not self.scope.all_domains:
            raise exceptions.PermissionDenied("Only a key for all domains may force an activation.")
        key = services.dkim_key_activate(actor=actor_for(request), key=key, force=data["force"])
        return Response(DkimKeyOut(key).data)


class DomainMailboxUsage(ApiView):
    """Bytes used by each mailbox of one domain, by address."""

    pagination_class = MailboxCursor
    serializer_class = MailboxUsageOut

    @extend_schema(responses={200: MailboxUsageOut(many=True)})
    def get(self, request, name):
        domain = by_name.domain(self.scope, name)
        return self.paginated(selectors.with_mailbox_usage(domain.mailboxes.all(), messages=True), MailboxUsageOut)


class MailboxUsage(ApiView):
    serializer_class = MailboxUsageOut

    @extend_schema(responses={200: MailboxUsageOut})
    def get(self, request, address):
        mailbox = by_name.mailbox(self.scope, address)
        usage = selectors.with_mailbox_usage(Mailbox.objects.filter(pk=mailbox.pk), messages=True).get()
        return Response(MailboxUsageOut(usage).data)


class BulkCreate(ApiView):
    """Many items in one request, all or nothing; every item's domain must be in the key's scope."""

    bulk_field = ""

    def items_and_domains(self, request) -> tuple[list[dict], dict]:
        items = _valid(self.serializer_class, request.data)[self.bulk_field]
        return items, by_name.domains_of_items(self.scope, [item[self.address_field] for item in items])


class MailboxBulkCreate(BulkCreate):
    actions = {"POST": "mailbox.create"}
    serializer_class = MailboxBulkIn
    address_field = "address"
    bulk_field = "mailboxes"

    @extend_schema(request=MailboxBulkIn, responses={201: MailboxBulkOut})
    def post(self, request):
        items, domains = self.items_and_domains(request)
        created = services.mailboxes_create_many(actor=actor_for(request), domains=domains,
                                                 mailboxes=[services.NewMailbox(**item) for item in items])
        return Response({"mailboxes": MailboxOut(created, many=True).data}, status=status.HTTP_201_CREATED)


class MailboxBulkUpdate(ApiView):
    """The same changes to many mailboxes (suspend or resume with `active`, a quota, a spam
    threshold, a display name), all or nothing, each audited as a single change."""

    actions = {"POST": "mailbox.update"}
    serializer_class = MailboxBulkUpdateIn
    bulk_field = "addresses"

    @extend_schema(request=MailboxBulkUpdateIn, responses={200: MailboxBulkOut}, description=(
        "Every listed mailbox changes, or none: a refused item answers 422 with its errors under "
        "`addresses[<index>]`; an item not found (or outside the key's domains) answers 404 naming it."))
    def post(self, request):
        data = _valid(MailboxBulkUpdateIn, request.data)
        if "active" in data["changes"]:
            check_action(request.auth, "mailbox.suspend")
        mailboxes = by_name.mailboxes_of_items(self.scope, data["addresses"])
        changed = services.mailboxes_update_many(actor=actor_for(request), mailboxes=mailboxes, **data["changes"])
        return Response({"mailboxes": MailboxOut(changed, many=True).data})


class MailboxBulkDelete(ApiView):
    """Deletes many mailboxes, all or none; each one's mail is archived as for a single delete."""

    actions = {"POST": "mailbox.delete"}
    serializer_class = MailboxAddressesIn
    bulk_field = "addresses"

    @extend_schema(request=MailboxAddressesIn, responses={204: None})
    def post(self, request):
        data = _valid(MailboxAddressesIn, request.data)
        mailboxes = by_name.mailboxes_of_items(self.scope, data["addresses"])
        services.mailboxes_delete_many(actor=actor_for(request), mailboxes=mailboxes)
        return Response(status=status.HTTP_204_NO_CONTENT)


class AliasBulkCreate(BulkCreate):
    actions = {"POST": "alias.create"}
    serializer_class = AliasBulkIn
    address_field = "source"
    bulk_field = "aliases"

    @extend_schema(request=AliasBulkIn, responses={201: AliasBulkOut},
                   description=f"Creates every alias or none; each item's errors are under `aliases[<index>]`. "
                               f"{EXISTING_SOURCE}")
    def post(self, request):
        items, domains = self.items_and_domains(request)
        services.aliases_create_many(actor=actor_for(request), domains=domains,
                                     aliases=[services.NewAlias(**item) for item in items])
        grouped = selectors.alias_destinations(by_name.alias_sources_of_items([item["source"] for item in items]))
        return Response({"aliases": AliasOut([{"source": source, "destinations": destinations}
                                              for source, destinations in grouped.items()], many=True).data},
                        status=status.HTTP_201_CREATED)


class ApiDocs(SpectacularSwaggerView):
    """The documentation page (HTML). OPTIONS answers as any Django page does (200, Allow, no
    body): DRF would render its metadata through the page's HTML template, which has none."""

    def options(self, request, *args, **kwargs):
        return View.options(self, request, *args, **kwargs)

"""What the panel's views share, in every app: the acting admin, superadmin-only pages, posted
forms, service calls whose refusal becomes the form's error, list filters and pages."""
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.utils.functional import cached_property

from domains.audit import Actor
from domains.models import Mailbox
from mailadmin.client_ip import client_ip

PAGE_SIZE = 50
# Lists that grow to a million rows are paged by their unique, indexed key (keyset pagination):
# a page is found through the index wherever it lies, where a page number makes the database
# count every row and step over all those before it.
SEEK_KEYS = {Mailbox: "email"}
# ...and their total is counted up to here, then shown as "more than".
COUNT_CAP = 10_000


def actor_of(request) -> Actor:
    """The signed-in user, from the client address the sign-in lockout also uses."""
    return Actor.for_user(request.user, ip=client_ip(request))


def require_superadmin(user):
    """What only superadmins may do answers 404 to everyone else, like a row out of reach."""
    if not user.is_superuser:
        raise Http404


def posted(request):
    """The form data of a POST (even an empty one), or None to leave the form unbound."""
    return request.POST if request.method == "POST" else None


def call_service(form, service, **arguments):
    """Calls a service; its refusal becomes the form's error.  Returns the result, or None."""
    try:
        return service(**arguments)
    except ValidationError as error:
        form.add_error(None, error)
        return None


def list_filters(request, form_class):
    """A list's filters from the query string, read by `form_class` (a mailadmin.forms.ListFilterForm): (the values
    that could be read, the form).  A value that cannot be read is ignored, never handed to the database."""
    form = form_class(request.GET)
    return form.filters(), form


def render_list(request, template: str, context: dict, filter_form):
    """A list page; it answers 400, naming the filters it ignored, when some could not be read."""
    return render(request, template, {**context, "filter_form": filter_form},
                  status=400 if filter_form.errors else 200)


def page_of(request, queryset):
    """The requested page of `queryset`: by `?page=` number, or for the lists in SEEK_KEYS by
    `?after=` / `?before=` a key (a `SeekPage`)."""
    key = SEEK_KEYS.get(queryset.model)
    if key is None or list(queryset.query.order_by) != [key]:
        return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    return SeekPage.of(queryset, key, after=request.GET.get("after"), before=request.GET.get("before"))


class SeekPage:
    """The rows just after (or before) a key of a list ordered by that unique key; the links to
    the next and previous pages carry the key of the last or first row shown."""

    seek = True

    def __init__(self, queryset, key, rows, *, has_previous, has_next):
        self.queryset, self.key, self.object_list = queryset, key, rows
        self.has_previous, self.has_next = has_previous, has_next

    @classmethod
    def of(cls, queryset, key, *, after=None, before=None):
        def where(lookup, value):
            return queryset.filter(**{f"{key}__{lookup}": value})

        if before:
            rows = list(where("lt", before).order_by(f"-{key}")[:PAGE_SIZE + 1])[::-1]
            if len(rows) > PAGE_SIZE:
                return cls(queryset, key, rows[1:], has_previous=True, has_next=where("gte", before).exists())
            # Back at the start: the first page, full.
        elif after:
            rows = list(where("gt", after)[:PAGE_SIZE + 1])
            if rows:
                return cls(queryset, key, rows[:PAGE_SIZE], has_previous=where("lte", after).exists(),
                           has_next=len(rows) > PAGE_SIZE)
            # Past the end (the rows after it were deleted since): the last page.
            rows = list(queryset.order_by(f"-{key}")[:PAGE_SIZE + 1])[::-1]
            return cls(queryset, key, rows[-PAGE_SIZE:], has_previous=len(rows) > PAGE_SIZE, has_next=False)
        rows = list(queryset[:PAGE_SIZE + 1])
        return cls(queryset, key, rows[:PAGE_SIZE], has_previous=False, has_next=len(rows) > PAGE_SIZE)

    def has_other_pages(self):
        return self.has_previous or self.has_next

    def next_after(self):
        return getattr(self.object_list[-1], self.key)

    def previous_before(self):
        return getattr(self.object_list[0], self.key)

    @cached_property
    def total(self) -> int:
        """The number of rows in the whole list, counted only up to COUNT_CAP + 1."""
        return self.queryset.order_by().values("pk")[:COUNT_CAP + 1].count()

    def total_label(self):
        noun = self.queryset.model._meta.verbose_name_plural
        return f"more than {COUNT_CAP:,} {noun}" if self.total > COUNT_CAP else f"{self.total:,} {noun}"

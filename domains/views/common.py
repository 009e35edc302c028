from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404

from domains.audit import Actor

PAGE_SIZE = 50


def actor_of(request) -> Actor:
    return Actor.for_user(request.user, ip=request.META.get("REMOTE_ADDR"))


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


def page_of(request, queryset):
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))

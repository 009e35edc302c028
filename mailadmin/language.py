"""The language a page speaks: the language menu (a form posting to `set_language`, no
JavaScript), and the choice remembered per admin (accounts.User.language) and per owner
(selfservice.MailboxRules.language).  LocaleMiddleware reads the menu's cookie and the browser's
Accept-Language; StoredLanguageMiddleware then applies a signed-in admin's or owner's stored
choice, so it follows them to any browser from the sign-in on."""
from django.conf import settings
from django.utils import translation
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language

from accounts.models import User
from selfservice.models import MailboxRules
from selfservice.session import SESSION_KEY, signed_in_mailbox


def _owner_id(request):
    return request.session.get(SESSION_KEY) if hasattr(request, "session") else None


def stored_language(request) -> str:
    """The signed-in admin's or owner's stored language, or "" (none stored, or none signed in)."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return user.language
    owner = _owner_id(request)
    if owner is not None:
        return MailboxRules.objects.filter(mailbox_id=owner).values_list("language", flat=True).first() or ""
    return ""


class StoredLanguageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        language = stored_language(request)
        if language in dict(settings.LANGUAGES):
            translation.activate(language)
            request.LANGUAGE_CODE = language
        return self.get_response(request)


@require_POST
def set_language(request):
    """Django's set_language (the cookie, the redirect back), and the choice stored for the
    signed-in admin or owner."""
    response = django_set_language(request)
    language = request.POST.get("language", "")
    if language in dict(settings.LANGUAGES):
        if request.user.is_authenticated:
            User.objects.filter(pk=request.user.pk).update(language=language)
        elif _owner_id(request) is not None and (mailbox := signed_in_mailbox(request)) is not None:
            MailboxRules.objects.update_or_create(mailbox=mailbox, defaults={"language": language})
    return response

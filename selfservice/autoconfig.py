"""Mail clients' set-up answers (selfservice/mailclients.py): Thunderbird's autoconfig, Outlook's
Autodiscover and the owner's Apple profile.  Unknown and inactive domains get 404."""
import re

from django.http import Http404, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from selfservice import mailclients
from selfservice.views import mailbox_required

# The one element read from Outlook's request; the body is not parsed as XML (no entities expanded).
EMAIL_ELEMENT = re.compile(rb"<(?:\w+:)?EMailAddress>\s*([^<\s]{3,320})\s*</(?:\w+:)?EMailAddress>")
XML = "application/xml; charset=utf-8"


def _xml(text: str) -> HttpResponse:
    response = HttpResponse(text, content_type=XML)
    response["Cache-Control"] = f"max-age={mailclients.CACHE_SECONDS}"
    return response


@require_GET
def thunderbird(request):
    """/.well-known/autoconfig/mail/config-v1.1.xml on the mail host, /mail/config-v1.1.xml on
    autoconfig.<domain>: the domain from ?emailaddress= (Thunderbird sends it), else from the host."""
    address = request.GET.get("emailaddress", "")
    # Behind nginx, the name the client asked for (deploy/nginx/mailclients.conf); it only picks a public answer.
    host = request.headers.get("X-Autoconfig-Host") or request.get_host().partition(":")[0]
    domain = (mailclients.domain_of(address) if address else
              mailclients.served_domain(host.removeprefix("autoconfig.")) if host.startswith("autoconfig.") else None)
    if domain is None:
        raise Http404
    return _xml(mailclients.thunderbird(domain))


@csrf_exempt
@require_POST
def autodiscover(request):
    """POST /autodiscover/autodiscover.xml with the POX request naming EMailAddress."""
    found = EMAIL_ELEMENT.search(request.body[:10_000])
    address = found.group(1).decode(errors="replace") if found else ""
    if mailclients.domain_of(address) is None:
        raise Http404
    return _xml(mailclients.autodiscover(address))


@mailbox_required
@require_GET
def apple_profile(request):
    """The signed-in owner's .mobileconfig (unsigned, without the password)."""
    address = request.mailbox.email
    response = HttpResponse(mailclients.mobileconfig(address), content_type="application/x-apple-aspen-config")
    response["Content-Disposition"] = f'attachment; filename="{address}.mobileconfig"'
    return response

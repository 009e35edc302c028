"""Two-factor sign-in pages: thin views over accounts.services."""
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp.decorators import otp_required

from accounts import selectors, services, totp
from accounts.forms import CodeForm
from mailadmin.view_helpers import actor_of

PENDING_KEY_SESSION = "two_factor_pending_key"


@login_required
def two_factor(request):
    return render(request, "accounts/two_factor.html", {
        "enabled": selectors.two_factor_enabled(request.user),
        "recovery_codes_left": selectors.recovery_codes_left(request.user),
    })


@login_required
def two_factor_setup(request):
    """Shows a new secret (QR code and text) until a code from the app confirms it.

    The secret waits in the session, so nothing is stored before the app has proved it has it.
    """
    if selectors.two_factor_enabled(request.user):
        return redirect("two_factor")
    key = request.session.setdefault(PENDING_KEY_SESSION, totp.new_key())
    form = CodeForm(request.POST or None)
    if form.is_valid():
        try:
            device, codes = services.two_factor_enable(actor=actor_of(request), user=request.user, key=key,
                                                       code=form.cleaned_data["code"])
        except services.CodeRefused as refused:
            form.add_error("code", str(refused))
        else:
            del request.session[PENDING_KEY_SESSION]
            otp_login(request, device)
            return render(request, "accounts/recovery_codes.html", {"codes": codes, "next": _next_url(request)})
    uri = totp.provisioning_uri(username=request.user.get_username(), key=key)
    return render(request, "accounts/two_factor_setup.html", {
        "form": form, "secret": totp.secret_text(key), "qr_svg": totp.qr_svg(uri),
    })


@login_required
def two_factor_verify(request):
    if request.user.is_verified() or not selectors.two_factor_enabled(request.user):
        return redirect(_next_url(request))
    form = CodeForm(request.POST or None)
    if form.is_valid():
        try:
            device = services.second_factor_verify(user=request.user, code=form.cleaned_data["code"])
        except services.CodeRefused as refused:
            form.add_error("code", str(refused))
        else:
            otp_login(request, device)
            return redirect(_next_url(request))
    return render(request, "accounts/two_factor_verify.html", {"form": form})


@require_POST
@otp_required
def recovery_codes_replace(request):
    codes = services.recovery_codes_replace(actor=actor_of(request), user=request.user)
    return render(request, "accounts/recovery_codes.html", {"codes": codes, "next": resolve_url("two_factor")})



def _next_url(request) -> str:
    """?next= when it is a page of this site, else the home page."""
    target = request.POST.get("next") or request.GET.get("next", "")
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return resolve_url("home")

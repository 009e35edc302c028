"""Holds a signed-in user at the second-factor page until they pass it (after django-otp's OTPMiddleware)."""
from django.contrib.auth.views import redirect_to_login
from django.urls import reverse

from accounts.selectors import second_factor_step


class SecondFactorRequiredMiddleware:
    """Every page but that step, sign-out, the health check and the metrics redirects to it (?next= the page)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        step = second_factor_step(request.user)
        if step is not None:
            step_url = reverse(step)
            if request.path not in (step_url, reverse("logout"), reverse("healthz"), reverse("metrics")):
                return redirect_to_login(request.get_full_path(), step_url)
        return self.get_response(request)

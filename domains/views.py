from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render

from domains.selectors import domains_visible_to


@login_required
def home(request):
    page = Paginator(domains_visible_to(request.user), 50).get_page(request.GET.get("page"))
    return render(request, "domains/home.html", {"page": page})

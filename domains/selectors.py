"""The one place that decides which rows a panel user may see."""
from django.db.models import Count, QuerySet

from domains.models import Domain


def domains_visible_to(user) -> QuerySet[Domain]:
    """Superadmins see every domain; a domain admin sees the domains assigned to them."""
    domains = Domain.objects.all() if user.is_superuser else Domain.objects.filter(admins=user)
    return domains.annotate(
        mailbox_count=Count("mailboxes", distinct=True), alias_count=Count("aliases", distinct=True)
    ).order_by("name")

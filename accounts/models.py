from django.contrib.auth.models import AbstractUser
from django.db import models


class User(AbstractUser):
    """A panel administrator: a superadmin (is_superuser) or the admin of some domains."""

    domains = models.ManyToManyField("domains.Domain", blank=True, related_name="admins")
    # The admin's choice from the language menu (a code of settings.LANGUAGES); empty: the browser's.
    language = models.CharField(max_length=16, blank=True, default="")

    class Meta:
        db_table = "mailadmin_user"

from django.contrib.auth.models import AbstractUser
from django.db import models


class User(AbstractUser):
    """A panel administrator: a superadmin (is_superuser) or the admin of some domains."""

    domains = models.ManyToManyField("domains.Domain", blank=True, related_name="admins")

    class Meta:
        db_table = "mailadmin_user"

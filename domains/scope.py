"""What a caller may reach: every domain, or the domains with these ids; read-only or not.

Built once per request, from a panel user or from an API key, and handed to the selectors
(domains/selectors.py), which are the one place that turns it into rows: the panel and the API
cannot see differently.  The domains are held as a list of ids rather than a join: MariaDB can
then estimate each domain's rows and read a page of a large list through an index."""
from dataclasses import dataclass


@dataclass(frozen=True)
class Scope:
    domain_ids: tuple[int, ...] | None = None  # None: every domain
    read_only: bool = False

    @property
    def all_domains(self) -> bool:
        return self.domain_ids is None

    @classmethod
    def of_user(cls, user) -> "Scope":
        """A superadmin reaches every domain; a domain admin the domains assigned to them."""
        if user.is_superuser:
            return cls()
        return cls(tuple(sorted(user.domains.values_list("id", flat=True))))

    @classmethod
    def of_key(cls, key) -> "Scope":
        """An API key reaches every domain or the domains listed on it; a read-only key only reads."""
        if key.all_domains:
            return cls(read_only=key.read_only)
        return cls(tuple(sorted(key.domains.values_list("id", flat=True))), read_only=key.read_only)

"""How django-axes names the account a failed sign-in counts against (settings: AXES_USERNAME_CALLABLE)."""


def lockout_username(request, credentials) -> str:
    """The username as typed, case-folded: `Admin` and `ADMIN` sign in as `admin` (the column's collation
    ignores case), so they share one failure counter instead of five tries each."""
    source = credentials if credentials is not None else request.POST
    return (source.get("username") or "").strip().casefold()

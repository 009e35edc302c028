"""Every change to admin accounts (admins.py: accounts, roles, passwords) and to their second factor
(two_factor.py): one function per change, in one transaction, with its audit row."""
from accounts.services.admins import admin_create, admin_delete, admin_set_password, admin_update
from accounts.services.two_factor import (
    CodeRefused,
    recovery_codes_replace,
    second_factor_verify,
    two_factor_disable,
    two_factor_enable,
)

__all__ = [
    "CodeRefused", "admin_create", "admin_delete", "admin_set_password", "admin_update", "recovery_codes_replace",
    "second_factor_verify", "two_factor_disable", "two_factor_enable",
]

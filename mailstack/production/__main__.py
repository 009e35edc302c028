"""`./mailctl install` runs this: the settings first (environment.py), then the install itself
(`manage.py mailstack install`) with Django started on those settings."""
import os
import sys
from pathlib import Path

from mailstack.production.environment import (
    PANEL_USER,
    SettingsError,
    checkout_problem,
    ensure_panel_user,
    prepare,
)


def main():
    checkout = Path(__file__).resolve().parents[2]
    problem = checkout_problem(checkout)
    if problem:
        sys.exit(f"mailctl install: {problem}")
    if ensure_panel_user():
        print(f"created the system user {PANEL_USER}: the panel runs as it")
    try:
        environment = prepare(Path("/"), os.environ)
    except SettingsError as error:
        sys.exit(f"mailctl install: {error}")
    environment["DJANGO_SETTINGS_MODULE"] = "mailadmin.settings"
    manage = str(checkout / "manage.py")
    os.execve(sys.executable, [sys.executable, manage, "mailstack", "install", *sys.argv[1:]], environment)


if __name__ == "__main__":
    main()

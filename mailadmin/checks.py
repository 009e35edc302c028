"""System checks of the environment variables declared in mailadmin/config.py.

The settings module never fails on a bad value (it takes the default); these checks name the
variable and what it allows, and stop every management command, as Django's own checks do.
"""
from django.core.checks import Error, Warning, register

from mailadmin import config


@register("settings")
def check_environment(app_configs=None, environ=None, **kwargs):
    """`environ`: the variables to check (the process's own by default)."""
    messages = []
    for problem in config.problems(environ):
        setting = problem.setting
        if problem.kind == "invalid":
            shown = "set to a value that" if setting.secret else f"{problem.raw!r}, which"
            default = setting.default_shown.replace("`", "")
            messages.append(Error(
                f"{problem.variable} is {shown} is not allowed: it must be {setting.parse.allowed}.",
                hint=f"{setting.variable}: {setting.description}. Unset, it is {default}.",
                id="mailadmin.E001",
            ))
        else:
            state = "read while the new name is not set" if problem.kind == "deprecated" \
                else "ignored, as the new name is set"
            messages.append(Warning(
                f"{problem.variable} is the deprecated name of {setting.variable}; it is {state}.",
                hint=f"Rename it {setting.variable}.",
                id="mailadmin.W001",
            ))
    return messages

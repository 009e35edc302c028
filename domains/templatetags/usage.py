from django import template

register = template.Library()


@register.inclusion_tag("usage_bar.html")
def usage_bar(used, quota):
    """Storage used against a quota (0 = unlimited), as a bar with its figures."""
    used = used or 0
    percent = min(100, round(100 * used / quota)) if quota else None
    return {"used": used, "quota": quota, "percent": percent}

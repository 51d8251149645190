"""``sso`` in every template: whether single sign-on is on, its button label, and SSO-only mode."""

from django.conf import settings

from . import is_enabled


def sso(request) -> dict:
    enabled = is_enabled()
    return {
        "sso": {
            "enabled": enabled,
            "label": settings.SSO_BUTTON_LABEL,
            # The password form stays reachable with ?local=1 (break-glass administrators).
            "only": enabled and settings.SSO_ONLY and request.GET.get("local") != "1",
        }
    }

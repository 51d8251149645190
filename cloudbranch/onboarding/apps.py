from django.apps import AppConfig


class OnboardingConfig(AppConfig):
    """Accounts that people open themselves: activation against the roster, invitations, password reset."""

    name = "cloudbranch.onboarding"
    label = "onboarding"
    verbose_name = "账号开通"

    def ready(self):
        from cloudbranch.core.nav import MenuEntry, register
        from cloudbranch.orgs.scoping import holds

        from . import checks  # noqa: F401  (registers the deployment check)
        from .services import INVITE_PERMISSION

        register(
            MenuEntry(
                "onboarding_invitations",
                "账号开通",
                "onboarding:invitations",
                "bi-person-check",
                22,
                lambda u: holds(u, INVITE_PERMISSION),
            )
        )

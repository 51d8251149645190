from django.apps import AppConfig


class OnboardingConfig(AppConfig):
    """Accounts that people open themselves: activation against the roster, invitations, password reset."""

    name = "cloudbranch.onboarding"
    label = "onboarding"
    verbose_name = "账号开通"

    def ready(self):
        # The officials' page (invitations, who has activated) is reached from the roster
        # (人员名册 → 账号开通), not from a top-level menu entry of its own.
        from . import checks  # noqa: F401  (registers the deployment check)

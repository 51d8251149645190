from django.apps import AppConfig


class OnboardingConfig(AppConfig):
    """Accounts that people open themselves: activation against the roster, invitations, password reset."""

    name = "cloudbranch.onboarding"
    label = "onboarding"
    verbose_name = "账号开通"

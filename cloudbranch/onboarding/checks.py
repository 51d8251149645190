"""Deployment check: activation and reset codes must reach people in production."""

from django.core import checks

from . import conf

CONSOLE = "cloudbranch.onboarding.channels.ConsoleCodeChannel"


@checks.register(checks.Tags.security, deploy=True)
def code_channels(app_configs, **kwargs):
    """With only the console channel, one-time codes are written to the server log: nobody
    activating an account or resetting a password would receive them (and the log would hold
    them). ``manage.py check --deploy`` says so."""
    channels = list(conf.get("ONBOARDING_CODE_CHANNELS"))
    if channels and all(path == CONSOLE for path in channels):
        return [
            checks.Warning(
                "ONBOARDING_CODE_CHANNELS only has the console channel: activation and password-reset codes "
                "are only written to the log.",
                hint="Set ONBOARDING_CODE_CHANNELS to the SMS gateway's channel and/or "
                "cloudbranch.onboarding.channels.EmailCodeChannel.",
                id="onboarding.W001",
            )
        ]
    return []

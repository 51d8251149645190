"""Settings of the onboarding app, read at call time with safe defaults (no entry in settings is required).

Every number can be overridden in settings (or a test's ``settings`` fixture):

- ``ONBOARDING_REQUIRE_CODE`` (True): ask for a one-time code sent to the roster phone/email
  when the person has one on the roster; people without any address go straight to the password.
- ``ONBOARDING_CODE_CHANNELS``: dotted paths of ``onboarding.channels.CodeChannel`` classes, tried
  in order (the first one that has an address for the person is used). SMS gateways plug in here.
- ``ONBOARDING_CODE_MINUTES`` (10) and ``ONBOARDING_CODE_TRIES`` (5): validity and tries of a code.
- ``ONBOARDING_FLOW_MINUTES`` (20): how long a verified identity is kept in the session.
- ``ONBOARDING_IDENTITY_FAILURES`` (5) per ``ONBOARDING_IDENTITY_WINDOW_MINUTES`` (30), and
  ``ONBOARDING_IP_FAILURES`` (20) per ``ONBOARDING_IP_WINDOW_MINUTES`` (60): lockout thresholds.
- ``ONBOARDING_INVITE_COOLDOWN_DAYS`` (7): a person invited more recently is skipped.
- ``SITE_URL`` ("http://127.0.0.1:8000"): the absolute address put in invitation texts.
"""

from __future__ import annotations

from django.conf import settings

DEFAULTS = {
    "ONBOARDING_REQUIRE_CODE": True,
    "ONBOARDING_CODE_CHANNELS": ["cloudbranch.onboarding.channels.ConsoleCodeChannel"],
    "ONBOARDING_CODE_MINUTES": 10,
    "ONBOARDING_CODE_TRIES": 5,
    "ONBOARDING_CODE_RESEND_SECONDS": 60,
    "ONBOARDING_FLOW_MINUTES": 20,
    "ONBOARDING_IDENTITY_FAILURES": 5,
    "ONBOARDING_IDENTITY_WINDOW_MINUTES": 30,
    "ONBOARDING_IP_FAILURES": 20,
    "ONBOARDING_IP_WINDOW_MINUTES": 60,
    "ONBOARDING_INVITE_COOLDOWN_DAYS": 7,
    "SITE_URL": "http://127.0.0.1:8000",
}


def get(name: str):
    return getattr(settings, name, DEFAULTS[name])

"""Local development: DEBUG on unless the environment says otherwise."""

from .base import *  # noqa: F403
from .env import env, env_bool

DEBUG = env_bool("DEBUG", True)
# Secretaries log in with a password only (the demo, the browser journeys); tests switch it on.
TWO_FACTOR_MANDATORY = env_bool("TWO_FACTOR_MANDATORY", False)
LOGGING["handlers"]["console"]["formatter"] = env("LOG_FORMAT", "plain")  # noqa: F405

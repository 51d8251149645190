"""Local development: DEBUG on unless the environment says otherwise."""

from .base import *  # noqa: F403
from .env import env, env_bool

DEBUG = env_bool("DEBUG", True)
LOGGING["handlers"]["console"]["formatter"] = env("LOG_FORMAT", "plain")  # noqa: F405

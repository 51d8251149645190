"""Production: DEBUG must be off; HTTPS unless HTTPS=0 (e.g. a local benchmark on loopback)."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .env import env_bool

if DEBUG:  # noqa: F405
    raise ImproperlyConfigured("DEBUG must be off in production (CLOUDBRANCH_ENV=prod).")

if env_bool("HTTPS", True):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = 31536000
    # The site runs on its own host name (e.g. dangjian.example.edu.cn): its subdomains, if any,
    # are ours and HTTPS-only too. HSTS_INCLUDE_SUBDOMAINS=0 turns this off for a shared host.
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("HSTS_INCLUDE_SUBDOMAINS", True)
    # Preloading is a decision for the owner of the registrable domain (the university), not for
    # one application on a subdomain of it: off unless HSTS_PRELOAD=1 (see SILENCED_SYSTEM_CHECKS).
    SECURE_HSTS_PRELOAD = env_bool("HSTS_PRELOAD", False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# security.W021 (HSTS preload not set): deliberate, see SECURE_HSTS_PRELOAD above.
# security.W004/W008/W012/W016 (no HSTS, no SSL redirect, cookies not secure): only when HTTPS=0, i.e. a local
# benchmark on loopback; with HTTPS on they are set and the checks pass.
SILENCED_SYSTEM_CHECKS = ["security.W021"]
if not env_bool("HTTPS", True):
    SILENCED_SYSTEM_CHECKS += ["security.W004", "security.W008", "security.W012", "security.W016"]

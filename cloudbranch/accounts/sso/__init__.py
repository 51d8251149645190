"""Single sign-on with the university's identity provider (CAS 2.0/3.0 or OpenID Connect).

Off unless ``SSO_PROVIDER`` is "cas" or "oidc" (or ``SSO_PROVIDER_CLASS`` names another
``SsoProvider``). The provider proves who the person is (an *identity*: the university's
student/staff number); a *resolver* turns the identity into a ``User``. Accounts sits below people
in the layering, so the roster lookup lives in ``cloudbranch.people.sso`` and is plugged in with
``register_resolver``; without it a user whose username equals the identity is used.

The second factor, where required, is asked for afterwards by the 2FA middleware like for any
other login: nothing here bypasses it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core import checks
from django.utils.module_loading import import_string

from cloudbranch.core.errors import DomainError

BACKEND_PATH = "cloudbranch.accounts.sso.SsoBackend"

PROVIDERS = {
    "cas": "cloudbranch.accounts.sso.cas.CasProvider",
    "oidc": "cloudbranch.accounts.sso.oidc.OidcProvider",
}


class SsoError(DomainError):
    """The single sign-on was refused; ``message`` is shown to the person (Chinese)."""

    status = 403
    code = "sso_refused"


@dataclass(frozen=True)
class SsoIdentity:
    identity: str
    attributes: dict = field(default_factory=dict)


class SsoProvider:
    """One identity provider. Subclasses implement the two steps of a redirect login.

    ``flow`` is the per-login dict kept in the session between the two steps: the view puts
    ``state`` and ``next`` in it and the provider may add its own values (nonce, PKCE verifier)
    in ``login_url``; it is used once.
    """

    name = ""

    def login_url(self, request, state: str, flow: dict) -> str:
        """Where to send the browser to sign in; the provider sends it back to ``callback_url``."""
        raise NotImplementedError

    def authenticate(self, request, flow: dict) -> SsoIdentity:
        """Check the provider's answer on the callback request; raise ``SsoError`` if refused."""
        raise NotImplementedError

    def logout_url(self, request) -> str | None:
        """Where to send the browser after our logout to end the provider's session too (or None)."""
        return None


def callback_url(request) -> str:
    """Our callback's absolute URL (``SSO_CALLBACK_URL`` when a proxy hides the public address)."""
    from django.urls import reverse

    return settings.SSO_CALLBACK_URL or request.build_absolute_uri(reverse("sso:callback"))


def get_provider() -> SsoProvider | None:
    """The configured provider, or None when single sign-on is off."""
    path = getattr(settings, "SSO_PROVIDER_CLASS", "") or PROVIDERS.get(getattr(settings, "SSO_PROVIDER", ""), "")
    return import_string(path)() if path else None


def is_enabled() -> bool:
    return bool(getattr(settings, "SSO_PROVIDER_CLASS", "") or getattr(settings, "SSO_PROVIDER", "") in PROVIDERS)


# ---------------------------------------------------------------- identity -> user

Resolver = Callable[[str, dict], object]
_resolver: Resolver | None = None


def register_resolver(fn: Resolver) -> None:
    """Install the function that maps ``(identity, attributes)`` to a ``User`` (or None: unknown).

    It may raise ``SsoError`` with a specific message. The last registration wins.
    """
    global _resolver
    _resolver = fn


def current_resolver() -> Resolver:
    return _resolver or default_resolver


def default_resolver(identity: str, attributes: dict):
    """The account whose username is the identity (exact match)."""
    return get_user_model().objects.filter(username=identity).first()


UNKNOWN_MESSAGE = "统一身份认证成功，但系统中没有与您对应的账号，请联系管理员。"
INACTIVE_MESSAGE = "您的账号已停用，请联系管理员。"


class SsoBackend(ModelBackend):
    """Authentication backend of single sign-on logins.

    Only ``authenticate(request, sso_identity=...)`` (an identity the provider has already proven)
    is answered; a username and password are never accepted here. ``get_user`` (from
    ``ModelBackend``) restores the session's user and refuses inactive ones.
    """

    def authenticate(self, request, sso_identity: SsoIdentity | None = None, **kwargs):
        if sso_identity is None:
            return None
        user = current_resolver()(sso_identity.identity, dict(sso_identity.attributes))
        if user is None:
            raise SsoError(UNKNOWN_MESSAGE)
        if not self.user_can_authenticate(user):
            raise SsoError(INACTIVE_MESSAGE)
        return user


REQUIRED_SETTINGS = {
    "cas": ("CAS_SERVER_URL",),
    "oidc": ("OIDC_ISSUER", "OIDC_CLIENT_ID", "OIDC_CLIENT_SECRET"),
}


@checks.register(checks.Tags.security)
def check_sso_settings(app_configs=None, **kwargs):
    """``manage.py check``: a half-configured single sign-on is an error, not a silent 404."""
    name = getattr(settings, "SSO_PROVIDER", "")
    if not name or getattr(settings, "SSO_PROVIDER_CLASS", ""):
        return []
    if name not in PROVIDERS:
        return [checks.Error(f"SSO_PROVIDER must be '', 'cas' or 'oidc', not {name!r}.", id="accounts.E101")]
    return [
        checks.Error(f"SSO_PROVIDER={name!r} needs {setting}.", id="accounts.E102")
        for setting in REQUIRED_SETTINGS[name]
        if not getattr(settings, setting, "")
    ]

"""CAS 2.0 / 3.0 (Apereo CAS, the usual university 统一身份认证).

The browser goes to ``<CAS_SERVER_URL>/login?service=<callback?state=...>`` and comes back with
``?ticket=ST-...``; the ticket is validated server to server at ``/serviceValidate`` (2.0) or
``/p3/serviceValidate`` (3.0, with attributes). The ``state`` in the service URL ties the ticket to
the browser that started the login (no login CSRF), and the service must match exactly.
"""

from __future__ import annotations

import logging
import xml.etree.ElementTree as ET
from urllib.parse import urlencode

import requests
from django.conf import settings
from django.urls import reverse

from . import SsoError, SsoIdentity, SsoProvider, callback_url

logger = logging.getLogger(__name__)

CAS_NS = "http://www.yale.edu/tp/cas"
TIMEOUT = 5
MAX_RESPONSE_BYTES = 256 * 1024

UNREACHABLE = "无法连接统一身份认证服务器，请稍后再试。"
NO_TICKET = "统一身份认证没有返回登录票据，请重新登录。"
REFUSED = "统一身份认证票据无效或已过期，请重新登录。"
MALFORMED = "统一身份认证服务器的应答无法识别，请联系管理员。"
NO_IDENTITY = "统一身份认证没有提供学号工号，请联系管理员。"


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def parse_service_response(body: bytes) -> SsoIdentity:
    """The identity in a CAS ``serviceResponse`` (``cas:user`` and ``cas:attributes``)."""
    if len(body) > MAX_RESPONSE_BYTES or b"<!DOCTYPE" in body.upper() or b"<!ENTITY" in body.upper():
        raise SsoError(MALFORMED)
    try:
        root = ET.fromstring(body)
    except ET.ParseError as exc:
        raise SsoError(MALFORMED) from exc
    failure = root.find(f"{{{CAS_NS}}}authenticationFailure")
    if failure is not None:
        logger.info("CAS ticket refused: %s %s", failure.get("code", ""), (failure.text or "").strip()[:200])
        raise SsoError(REFUSED)
    success = root.find(f"{{{CAS_NS}}}authenticationSuccess")
    if success is None:
        raise SsoError(MALFORMED)
    user = (success.findtext(f"{{{CAS_NS}}}user") or "").strip()
    attributes: dict = {}
    node = success.find(f"{{{CAS_NS}}}attributes")
    if node is not None:
        for child in node:
            key, value = _local(child.tag), (child.text or "").strip()
            if key in attributes:  # a repeated attribute is multi-valued
                previous = attributes[key]
                attributes[key] = [*previous, value] if isinstance(previous, list) else [previous, value]
            else:
                attributes[key] = value
    attribute = settings.CAS_USER_ATTRIBUTE
    identity = user if attribute in ("", "user") else attributes.get(attribute, "")
    if isinstance(identity, list):
        identity = identity[0] if identity else ""
    identity = str(identity).strip()
    if not identity:
        raise SsoError(NO_IDENTITY)
    return SsoIdentity(identity=identity, attributes=attributes)


class CasProvider(SsoProvider):
    name = "cas"

    @property
    def server(self) -> str:
        return settings.CAS_SERVER_URL.rstrip("/")

    @staticmethod
    def service_url(request, state: str) -> str:
        return f"{callback_url(request)}?{urlencode({'state': state})}"

    def login_url(self, request, state: str, flow: dict) -> str:
        flow["service"] = self.service_url(request, state)
        return f"{self.server}/login?{urlencode({'service': flow['service']})}"

    def authenticate(self, request, flow: dict) -> SsoIdentity:
        ticket = request.GET.get("ticket", "")
        if not ticket:
            raise SsoError(NO_TICKET)
        path = "/p3/serviceValidate" if int(settings.CAS_VERSION) >= 3 else "/serviceValidate"
        try:
            response = requests.get(
                self.server + path, params={"service": flow["service"], "ticket": ticket}, timeout=TIMEOUT
            )
        except requests.RequestException as exc:
            logger.warning("CAS validation failed: %s", exc)
            raise SsoError(UNREACHABLE) from exc
        if response.status_code != 200:
            logger.warning("CAS validation answered HTTP %s", response.status_code)
            raise SsoError(UNREACHABLE)
        return parse_service_response(response.content)

    def logout_url(self, request) -> str | None:
        if not settings.SSO_LOGOUT_REDIRECT:
            return None
        back = request.build_absolute_uri(reverse("accounts:login"))
        return f"{self.server}/logout?{urlencode({'service': back})}"

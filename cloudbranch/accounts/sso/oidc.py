"""OpenID Connect: authorization code flow with ``state``, ``nonce`` and PKCE (S256).

The ID token is verified here, not trusted: RS256 signature against the provider's JWKS, ``iss``,
``aud`` (and ``azp`` when there are several audiences), ``exp`` and the ``nonce`` of this login.
Discovery and JWKS are cached for an hour; an unknown key id refetches the JWKS once (rotation).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import secrets
from urllib.parse import urlencode

import jwt
import requests
from django.conf import settings
from django.core.cache import cache

from . import SsoError, SsoIdentity, SsoProvider, callback_url

logger = logging.getLogger(__name__)

TIMEOUT = 5
CACHE_SECONDS = 3600
LEEWAY_SECONDS = 30
ALGORITHMS = ["RS256"]

UNREACHABLE = "无法连接统一身份认证服务器，请稍后再试。"
DENIED = "统一身份认证未完成（已取消或被拒绝），请重新登录。"
NO_CODE = "统一身份认证没有返回授权码，请重新登录。"
INVALID_TOKEN = "统一身份认证返回的身份令牌无效，请重新登录。"
EXPIRED_TOKEN = "统一身份认证的身份令牌已过期，请重新登录。"
NO_IDENTITY = "统一身份认证没有提供学号工号，请联系管理员。"
MISCONFIGURED = "统一身份认证配置有误，请联系管理员。"


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def pkce_challenge(verifier: str) -> str:
    return _b64url(hashlib.sha256(verifier.encode()).digest())


def _get_json(url: str, **kwargs) -> dict:
    try:
        response = requests.get(url, timeout=TIMEOUT, **kwargs)
        response.raise_for_status()
        data = response.json()
    except (requests.RequestException, ValueError) as exc:
        logger.warning("OIDC request to %s failed: %s", url, exc)
        raise SsoError(UNREACHABLE) from exc
    if not isinstance(data, dict):
        raise SsoError(UNREACHABLE)
    return data


class OidcProvider(SsoProvider):
    name = "oidc"

    @property
    def issuer(self) -> str:
        return settings.OIDC_ISSUER.rstrip("/")

    # ------------------------------------------------------------ provider metadata

    def discovery(self) -> dict:
        key = f"sso:oidc:discovery:{self.issuer}"
        data = cache.get(key)
        if data is None:
            data = _get_json(f"{self.issuer}/.well-known/openid-configuration")
            if data.get("issuer", "").rstrip("/") != self.issuer:
                logger.error("OIDC discovery issuer %r does not match OIDC_ISSUER", data.get("issuer"))
                raise SsoError(MISCONFIGURED)
            cache.set(key, data, CACHE_SECONDS)
        return data

    def jwks(self, *, refresh: bool = False) -> jwt.PyJWKSet:
        uri = self.discovery()["jwks_uri"]
        key = f"sso:oidc:jwks:{uri}"
        data = None if refresh else cache.get(key)
        if data is None:
            data = _get_json(uri)
            cache.set(key, data, CACHE_SECONDS)
        try:
            return jwt.PyJWKSet.from_dict(data)
        except jwt.PyJWTError as exc:
            logger.error("OIDC JWKS unusable: %s", exc)
            raise SsoError(MISCONFIGURED) from exc

    def signing_key(self, token: str):
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise SsoError(INVALID_TOKEN) from exc
        if header.get("alg") not in ALGORITHMS:
            raise SsoError(INVALID_TOKEN)
        kid = header.get("kid")
        for refresh in (False, True):
            keys = [k for k in self.jwks(refresh=refresh).keys if k.key_type == "RSA" and k.public_key_use != "enc"]
            found = [k for k in keys if k.key_id == kid] if kid else keys[:1] if len(keys) == 1 else []
            if found:
                return found[0].key
        raise SsoError(INVALID_TOKEN)

    # ------------------------------------------------------------ the two steps

    def login_url(self, request, state: str, flow: dict) -> str:
        flow["nonce"] = secrets.token_urlsafe(24)
        flow["verifier"] = secrets.token_urlsafe(48)
        flow["redirect_uri"] = callback_url(request)
        params = {
            "response_type": "code",
            "client_id": settings.OIDC_CLIENT_ID,
            "redirect_uri": flow["redirect_uri"],
            "scope": settings.OIDC_SCOPES,
            "state": state,
            "nonce": flow["nonce"],
            "code_challenge": pkce_challenge(flow["verifier"]),
            "code_challenge_method": "S256",
        }
        return f"{self.discovery()['authorization_endpoint']}?{urlencode(params)}"

    def authenticate(self, request, flow: dict) -> SsoIdentity:
        if request.GET.get("error"):
            logger.info("OIDC authorization refused: %s", request.GET.get("error")[:100])
            raise SsoError(DENIED)
        code = request.GET.get("code", "")
        if not code:
            raise SsoError(NO_CODE)
        tokens = self.exchange_code(code, flow)
        claims = self.verify_id_token(tokens.get("id_token", ""), nonce=flow.get("nonce", ""))
        claim = settings.OIDC_USER_CLAIM
        if claim not in claims and tokens.get("access_token"):
            info = self.userinfo(tokens["access_token"])
            if info.get("sub") == claims["sub"]:  # OIDC Core 5.3.2: a userinfo of someone else is ignored
                claims = {**info, **claims}
        identity = str(claims.get(claim) or "").strip()
        if not identity:
            raise SsoError(NO_IDENTITY)
        return SsoIdentity(identity=identity, attributes=claims)

    def exchange_code(self, code: str, flow: dict) -> dict:
        meta = self.discovery()
        data = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": flow.get("redirect_uri", ""),
            "code_verifier": flow.get("verifier", ""),
        }
        methods = meta.get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]
        auth = None
        if "client_secret_basic" in methods:
            auth = (settings.OIDC_CLIENT_ID, settings.OIDC_CLIENT_SECRET)
        else:
            data.update(client_id=settings.OIDC_CLIENT_ID, client_secret=settings.OIDC_CLIENT_SECRET)
        try:
            response = requests.post(
                meta["token_endpoint"], data=data, auth=auth, timeout=TIMEOUT, headers={"Accept": "application/json"}
            )
            body = response.json()
        except (requests.RequestException, ValueError) as exc:
            logger.warning("OIDC token request failed: %s", exc)
            raise SsoError(UNREACHABLE) from exc
        if response.status_code != 200 or not isinstance(body, dict) or not body.get("id_token"):
            logger.info("OIDC token endpoint refused the code: HTTP %s %s", response.status_code, str(body)[:200])
            raise SsoError(INVALID_TOKEN)
        return body

    def verify_id_token(self, token: str, *, nonce: str) -> dict:
        key = self.signing_key(token)
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=ALGORITHMS,
                audience=settings.OIDC_CLIENT_ID,
                issuer=self.discovery()["issuer"],
                leeway=LEEWAY_SECONDS,
                options={"require": ["iss", "aud", "exp", "iat", "sub"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise SsoError(EXPIRED_TOKEN) from exc
        except jwt.PyJWTError as exc:
            logger.info("OIDC ID token refused: %s", exc)
            raise SsoError(INVALID_TOKEN) from exc
        audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
        if len(audiences) > 1 and claims.get("azp") != settings.OIDC_CLIENT_ID:
            raise SsoError(INVALID_TOKEN)
        if not nonce or not hmac.compare_digest(str(claims.get("nonce", "")), nonce):
            logger.info("OIDC ID token nonce mismatch")
            raise SsoError(INVALID_TOKEN)
        return claims

    def userinfo(self, access_token: str) -> dict:
        endpoint = self.discovery().get("userinfo_endpoint")
        if not endpoint:
            return {}
        return _get_json(endpoint, headers={"Authorization": f"Bearer {access_token}"})

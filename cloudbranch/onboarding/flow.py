"""The state of an activation or reset between its steps, kept in the session as a signed,
expiring value (pages and the API share it)."""

from __future__ import annotations

from django.core import signing

from . import conf

SESSION_KEY = "onboarding_flow"
SALT = "cloudbranch.onboarding.flow"


def start(request, *, purpose: str, person_id: int | None, identity: str, stage: str, masked_to: str = "") -> None:
    request.session[SESSION_KEY] = signing.dumps(
        {"k": purpose, "p": person_id, "i": identity, "s": stage, "m": masked_to}, salt=SALT
    )


def current(request, *, purpose: str, stage: str | None = None) -> dict | None:
    """The flow of this purpose (and stage), or None when absent, expired or tampered with."""
    raw = request.session.get(SESSION_KEY)
    if not raw:
        return None
    try:
        data = signing.loads(raw, salt=SALT, max_age=conf.get("ONBOARDING_FLOW_MINUTES") * 60)
    except signing.BadSignature:
        return None
    if data.get("k") != purpose or (stage is not None and data.get("s") != stage):
        return None
    return data


def advance(request, data: dict, *, stage: str) -> None:
    start(request, purpose=data["k"], person_id=data["p"], identity=data["i"], stage=stage, masked_to=data.get("m", ""))


def end(request) -> None:
    request.session.pop(SESSION_KEY, None)

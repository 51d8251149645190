"""Single sign-on: the university's identity is a student/staff number, looked up on the roster.

Registered in ``PeopleConfig.ready`` with ``cloudbranch.accounts.sso.register_resolver``. Only people
on the roster (``roster_status`` active) get in: a person with an account logs in as that account;
a person without one gets an account created and linked on first login (username = the number,
no usable password: the university's login is the only way in). Nobody else can register.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction

from cloudbranch.accounts.sso import SsoError
from cloudbranch.audit.services import audit_record

from .models import Person

NOT_ON_ROSTER = "统一身份认证成功，但您不在党员名册中，请联系所在党组织。"
AMBIGUOUS = "名册中有多条记录使用您的学号工号，请联系所在党组织核对。"
USERNAME_TAKEN = "系统中已有与您学号工号同名的账号，但未与名册关联，请联系所在党组织。"
BAD_USERNAME = "您的学号工号不能用作登录账号名，请联系所在党组织。"


def _roster_person(identity: str, *, lock: bool = False) -> Person:
    qs = Person.objects.on_roster().filter(staff_number=identity).select_related("user").order_by("pk")
    if lock:
        qs = qs.select_for_update()
    people = list(qs[:2])
    if not people:
        raise SsoError(NOT_ON_ROSTER)
    if len(people) > 1:
        raise SsoError(AMBIGUOUS)
    return people[0]


def resolve_roster_user(identity: str, attributes: dict):
    """The account of the roster person whose ``staff_number`` is ``identity`` (created if needed)."""
    identity = (identity or "").strip()
    if not identity:
        raise SsoError(NOT_ON_ROSTER)
    person = _roster_person(identity)
    if person.user is not None:
        return person.user
    User = get_user_model()
    with transaction.atomic():
        person = _roster_person(identity, lock=True)  # two first logins at once create one account
        if person.user is not None:
            return person.user
        try:
            User.username_validator(identity)
        except ValidationError as exc:
            raise SsoError(BAD_USERNAME) from exc
        if User.objects.filter(username__iexact=identity).exists():
            raise SsoError(USERNAME_TAKEN)
        user = User(username=identity, display_name=person.name)
        user.set_unusable_password()
        user.save()
        person.user = user
        person.save(update_fields=["user", "updated_at"])
        audit_record(
            actor=user,
            action="accounts.user.sso_create",
            target=user,
            changes={"username": {"new": user.username}, "display_name": {"new": user.display_name}},
        )
        audit_record(
            actor=user, action="people.person.update", target=person, changes={"user": {"old": None, "new": user.pk}}
        )
    return user

"""One factory per model. Units get their materialized path through the real service code path."""

import datetime
import itertools

import factory

from cloudbranch.accounts.models import User
from cloudbranch.orgs.choices import UnitKind
from cloudbranch.orgs.models import OrgUnit, RoleAssignment
from cloudbranch.people import idcard
from cloudbranch.people.models import CommitteeMembership, Person

_seq = itertools.count(1)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    display_name = factory.Sequence(lambda n: f"用户{n}")
    password = factory.PostGenerationMethodCall("set_password", "Passw0rd!x")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


def make_unit(*, parent=None, kind=UnitKind.BRANCH, name=None, code=None, **fields) -> OrgUnit:
    """Create a unit with a correct path (bypasses permission checks; tests only)."""
    n = next(_seq)
    unit = OrgUnit.objects.create(
        parent=parent,
        kind=kind if parent is not None else UnitKind.COMMITTEE,
        code=code or f"T{n:05d}",
        name=name or f"测试组织{n}",
        path=f"/tmp{n}/",
        depth=(parent.depth + 1) if parent else 0,
        **fields,
    )
    unit.path = f"{parent.path if parent else '/'}{unit.pk}/"
    OrgUnit.objects.filter(pk=unit.pk).update(path=unit.path)
    return unit


def grant(user, unit, role) -> RoleAssignment:
    return RoleAssignment.objects.create(user=user, unit=unit, role=role)


def id_number_for(n: int, *, gender: str = "male", birth: datetime.date | None = None) -> str:
    birth = birth or datetime.date(1990, 1, 1) + datetime.timedelta(days=n % 9000)
    return idcard.make("110101", birth, n % 100, gender)


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    seq = factory.Sequence(lambda n: n + 1000)
    name = factory.Sequence(lambda n: f"人员{n}")
    gender = "male"
    category = "student"
    political_status = "full"
    joined_on = datetime.date(2015, 6, 1)
    confirmed_on = datetime.date(2016, 6, 1)
    # Born 1985-1993: adults before any date the import and rule tests use (e.g. applying in 2014).
    birth_date = factory.LazyAttribute(lambda o: datetime.date(1985, 1, 1) + datetime.timedelta(days=o.seq % 3000))
    phone = factory.Sequence(lambda n: f"138{n:08d}")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        id_number = kwargs.pop("id_number", None)
        seq = kwargs.pop("seq")
        person = model_class(*args, **kwargs)
        # Region 310104, never the 110101 of id_number_for(): files built by tests with
        # id_number_for() must not collide with the people a fixture already holds, whatever
        # the factory sequence has reached in this worker.
        person.set_id_number(id_number or idcard.make("310104", person.birth_date, (seq // 3000) % 100, person.gender))
        person.save()
        return person


class CommitteeMembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CommitteeMembership

    position = "member"
    started_on = datetime.date(2024, 1, 1)

"""Account helpers for these tests. They build users with the accounts model only, so the accounts
tests import nothing above accounts in the layering (the shared factories import orgs and people)."""

import itertools

from cloudbranch.accounts.models import User

PASSWORD = "Passw0rd!x"  # same as cloudbranch.testing.factories.UserFactory
_seq = itertools.count(1)


def make_user(username: str | None = None, **fields) -> User:
    n = next(_seq)
    fields.setdefault("display_name", f"测试用户{n}")
    return User.objects.create_user(username=username or f"acct{n}", password=PASSWORD, **fields)


def make_users(count: int) -> list[User]:
    return [make_user() for _ in range(count)]

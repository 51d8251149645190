"""Shared fixtures: a small university with two colleges and sibling branches.

root 某大学党委 (committee)
├── college_a 计算机学院党委 (sub_committee)
│   ├── branch_a1 (branch)  ← secretary1, member1
│   │   └── group_a1 (group)
│   └── branch_a2 (branch)  ← secretary2 (sibling of a1)
└── college_b 数学学院党委 (sub_committee)
    └── branch_b1 (branch)
"""

import copy
import os
from dataclasses import dataclass, field

import pytest
from django.db import transaction

from cloudbranch.accounts.choices import Duty
from cloudbranch.orgs.choices import UnitKind
from cloudbranch.orgs.roles import Role
from cloudbranch.testing.factories import PersonFactory, UserFactory, grant, make_unit

ROLES = ("anonymous", "member1", "secretary1", "secretary2", "admin", "sysadmin", "secadmin", "auditor")


@dataclass
class World:
    root: object
    college_a: object
    college_b: object
    branch_a1: object
    branch_a2: object
    branch_b1: object
    group_a1: object
    users: dict = field(default_factory=dict)
    people: dict = field(default_factory=dict)


def build_world() -> World:
    """The small university above, written to the database (the ``world`` fixture)."""
    root = make_unit(name="某大学党委", code="U")
    college_a = make_unit(parent=root, kind=UnitKind.SUB_COMMITTEE, name="计算机学院党委", code="CA")
    college_b = make_unit(parent=root, kind=UnitKind.SUB_COMMITTEE, name="数学学院党委", code="CB")
    branch_a1 = make_unit(parent=college_a, name="计算机本科第一党支部", code="CA01")
    branch_a2 = make_unit(parent=college_a, name="计算机本科第二党支部", code="CA02")
    branch_b1 = make_unit(parent=college_b, name="数学本科第一党支部", code="CB01")
    group_a1 = make_unit(parent=branch_a1, kind=UnitKind.GROUP, name="第一党小组", code="CA01G1")
    w = World(root, college_a, college_b, branch_a1, branch_a2, branch_b1, group_a1)

    w.users["admin"] = UserFactory(username="admin", display_name="组织部管理员")
    grant(w.users["admin"], root, Role.ORG_ADMIN)
    w.users["secretary1"] = UserFactory(username="secretary1", display_name="一支部书记")
    grant(w.users["secretary1"], branch_a1, Role.BRANCH_SECRETARY)
    w.users["secretary2"] = UserFactory(username="secretary2", display_name="二支部书记")
    grant(w.users["secretary2"], branch_a2, Role.BRANCH_SECRETARY)
    w.users["member1"] = UserFactory(username="member1", display_name="党员一")
    grant(w.users["member1"], branch_a1, Role.MEMBER)
    w.users["sysadmin"] = UserFactory(username="sysadmin", duty=Duty.SYSTEM)
    w.users["secadmin"] = UserFactory(username="secadmin", duty=Duty.SECURITY)
    w.users["auditor"] = UserFactory(username="auditor", duty=Duty.AUDIT)

    w.people["member1"] = PersonFactory(unit=branch_a1, name="党员一", user=w.users["member1"])
    w.people["a1_other"] = PersonFactory(unit=branch_a1, name="张一")
    w.people["a2_person"] = PersonFactory(unit=branch_a2, name="李二")
    w.people["b1_person"] = PersonFactory(unit=branch_b1, name="王三")
    return w


@pytest.fixture
def world(db) -> World:
    return build_world()


@pytest.fixture(scope="module")
def _module_world(django_db_setup, django_db_blocker):
    """``build_world()`` once per module (and xdist worker), in a transaction rolled back after it."""
    with django_db_blocker.unblock(), transaction.atomic():
        w = build_world()
        yield w
        transaction.set_rollback(True)


@pytest.fixture
def shared_world(_module_world, db) -> World:
    """The same world as ``world``, built once per module: for many small tests (the permission
    matrix, the API fuzzing) whose setup would otherwise be mostly the world. Each test still starts
    from the world as built: it runs in a savepoint rolled back after it (what it writes goes away)
    and gets its own copies of the objects (what it changes on them in memory goes away too).
    A module opts in with ``@pytest.fixture def world(shared_world): return shared_world``."""
    return copy.deepcopy(_module_world)


@pytest.fixture
def login(client):
    """``login(user)`` logs the test client in; returns the client."""

    def _login(user):
        client.force_login(user)
        return client

    return _login


# --- Browser journeys (Playwright + system Chromium); see cloudbranch/testing/browser.py ---


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the session; the test is skipped when Chromium is not installed."""
    from cloudbranch.testing import browser as browser_helpers

    executable = browser_helpers.chromium_path()
    if executable is None:
        pytest.skip("chromium is not installed (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    # Playwright's sync API keeps an event loop in this thread; Django would then refuse ORM calls
    # from the test body (SynchronousOnlyOperation) although nothing here is async.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_api.sync_playwright() as playwright:
        chromium = browser_helpers.launch_chromium(playwright, executable)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    """A desktop-sized page (1280x800) in its own browser context."""
    from cloudbranch.testing.browser import new_page

    page = new_page(browser)
    yield page
    page.context.close()


@pytest.fixture
def phone_page(browser):
    """A 375x812 touch page, the narrowest phone the pages must work on."""
    from cloudbranch.testing.browser import new_page

    page = new_page(browser, phone=True)
    yield page
    page.context.close()


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Summaries are cached for a minute; primary keys repeat across rolled-back tests, so a
    cached figure from one test must never answer another."""
    from django.core.cache import cache

    from cloudbranch.development.state import forget_rules

    cache.clear()
    forget_rules()  # rule steps are cached by rule set id, and ids repeat across rolled-back tests
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _restore_migration_data(request):
    """A transactional test ends with a flush, which also deletes the rows data migrations
    loaded (the 2018 compliance rule set, the 2008 dues brackets, the 2014 development rules). pytest-django runs transactional tests after the
    others, so only they can meet a flushed database: load the rows again before each one, and
    forget the per-process rules cache (a live server's thread shares it)."""
    marker = request.node.get_closest_marker("django_db")
    transactional = bool(
        {"transactional_db", "live_server"} & set(request.fixturenames) or (marker and marker.kwargs.get("transaction"))
    )
    if transactional:
        import importlib

        from django.apps import apps

        from cloudbranch.fees import standards
        from cloudbranch.meetings import compliance

        request.getfixturevalue("transactional_db")
        for migration in (
            "cloudbranch.meetings.migrations.0002_default_rules",
            "cloudbranch.fees.migrations.0002_brackets_2008",
            "cloudbranch.development.migrations.0002_rules_2014",
            "cloudbranch.points.migrations.0002_rules",
            "cloudbranch.points.migrations.0003_service_rules",
        ):
            importlib.import_module(migration).load(apps, None)
        compliance.clear_rules_cache()
        standards.clear_cache()
    yield

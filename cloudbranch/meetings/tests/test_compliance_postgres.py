"""The compliance roll-up runs the ORM's aggregate SQL through a raw cursor (no converters), so
PostgreSQL gets its own run of representative rules: month boundaries in local time, joint
meetings, committees, and the query count."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cloudbranch.meetings.tests import test_compliance_rules as rules

pytestmark = pytest.mark.postgres


@pytest.fixture(autouse=True)
def _postgres_only(db):
    if connection.vendor != "postgresql":
        pytest.skip("runs against PostgreSQL (make test starts one)")


@pytest.fixture
def author(db):
    return rules.UserFactory()


def test_joint_meetings_on_postgres(world, author):
    rules.test_joint_meeting_counts_for_each_unit(world, author)


def test_committee_months_on_postgres(world, author):
    rules.test_committee_meeting_monthly_only_with_a_committee(world, author)


def test_local_month_boundaries_on_postgres(world, author):
    rules.test_local_date_decides_the_month(world, author)


def test_rollup_queries_on_postgres(world, author):
    rules.compliance.compliance_rollup(world.root, 2025, today=rules.AFTER_2025)  # rules cached
    with CaptureQueriesContext(connection) as ctx:
        rules.compliance.compliance_rollup(world.root, 2025, today=rules.AFTER_2025)
    assert len(ctx.captured_queries) == 4

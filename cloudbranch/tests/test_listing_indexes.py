"""The largest lists of the whole university are read in the order of an index (PostgreSQL).

The organization department's first page of meetings, development cases or dues bills matches
every row of the university; without an index in the list's order, PostgreSQL sorts all of them
to keep twenty. With sorting and sequential scans priced out, the plan of each list's first page
must contain no full sort node: proof that an index serves the ORDER BY (its leading columns and
directions; an incremental sort of the rows tied on them is fine), whatever the planner would
pick on this tiny test database.
"""

import re

import pytest
from django.db import connection

from cloudbranch.development.cases import case_list
from cloudbranch.fees.billing import bill_list
from cloudbranch.meetings.selectors import meeting_list

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

FULL_SORT = re.compile(r"^\s*(->\s*)?Sort\s+\(cost")  # a plan node, not "Incremental Sort"

LISTS = {
    "meetings": lambda user: meeting_list(user=user),
    "development cases": lambda user: case_list(user=user),
    "dues bills": lambda user: bill_list(user),
}


def _plan(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cur:
        cur.execute("SET LOCAL enable_sort = off")
        cur.execute("SET LOCAL enable_seqscan = off")
        cur.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cur.fetchall())


@pytest.mark.parametrize("name", sorted(LISTS))
def test_first_page_of_the_whole_university_needs_no_sort(world, name):
    if connection.vendor != "postgresql":
        pytest.skip("query plans are PostgreSQL's")
    first_page = LISTS[name](world.users["admin"])[:20]
    plan = _plan(first_page)
    full_sorts = [line for line in plan.splitlines() if FULL_SORT.match(line)]
    assert not full_sorts, plan
    assert "Index" in plan, plan

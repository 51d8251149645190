"""The statistics (window functions, interval averages) again on PostgreSQL: `make test-postgres`."""

import pytest

from cloudbranch.news.tests.test_board_stats import (  # noqa: F401
    messages,
    now,
    test_stats_per_branch_with_an_even_median,
    test_stats_per_college,
    test_stats_query_count_is_constant,
)

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

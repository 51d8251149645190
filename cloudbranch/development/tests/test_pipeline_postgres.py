"""The pipeline's SQL (path-prefix grouping, julianday / date subtraction, conditional counts)
on PostgreSQL too (``make test-postgres``)."""

import pytest
from django.utils import timezone

from cloudbranch.development import pipeline
from cloudbranch.development.tests.test_pipeline_views import _build

pytestmark = pytest.mark.postgres


def test_pipeline_selectors_on_postgres(world):
    _build(world)
    today = timezone.localdate()
    s = pipeline.pipeline_summary(world.root, today=today)
    assert s.totals.stages == {1: 2, 2: 1, 3: 1, 4: 0, 5: 1}
    assert s.totals.funnel == {"applicant": 7, "activist": 4, "candidate": 3, "probationary": 2, "full": 1}
    assert [r.unit.code for r in s.rows] == ["CA", "CB"]
    d = {x.key: x for x in pipeline.stage_durations(world.root, today=today)}
    assert d["application_activist"].cases == 4 and d["application_activist"].days == 67.5
    assert d["probationary_full"].days == 350.0
    assert pipeline.freshman_funnel(world.root, today.year).students == 0
    assert pipeline.overdue_counts([world.root], today=today)[world.root.pk] == s.totals.overdue
    assert len(pipeline.due_rows(pipeline.due_cases(world.root, today=today), today=today)) == 3

"""The demo is seeded as of a day (``seeding.seed(today=...)``), but the services it goes through
check dates against the clock: an award round's nomination deadline may not lie in the past, a
meeting's check-in window is open only now. A test module that seeds as of a fixed ``TODAY``
therefore runs with the clock at noon of that day (Asia/Shanghai), ticking from there."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings


@pytest.fixture(scope="module", autouse=True)
def _clock_at_the_modules_today(request):
    today = getattr(request.module, "TODAY", None)
    if today is None:
        yield
        return
    noon = datetime.datetime.combine(today, datetime.time(12, 0), tzinfo=ZoneInfo(settings.TIME_ZONE))
    with time_machine.travel(noon, tick=True):
        yield

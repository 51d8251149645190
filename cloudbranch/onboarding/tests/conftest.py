import re

import pytest

from cloudbranch.onboarding.models import OutboundCode
from cloudbranch.testing.factories import PersonFactory, id_number_for

NEW_PASSWORD = "Xinmima#2025"


@pytest.fixture
def world(shared_world):
    return shared_world


def make_newcomer(unit, *, n=1, name="赵新人", staff_number="S2024001", phone="13812341234", **fields):
    """A roster person without an account, with a known ID number."""
    id_number = id_number_for(500 + n)
    person = PersonFactory(unit=unit, name=name, staff_number=staff_number, phone=phone, id_number=id_number, **fields)
    return person, id_number


def last_code() -> str:
    message = OutboundCode.objects.order_by("-id").first()
    assert message is not None, "no code was sent"
    return re.search(r"\b(\d{6})\b", message.text).group(1)

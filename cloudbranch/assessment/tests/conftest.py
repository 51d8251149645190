import pytest

from .factories import assessment_catalogue


@pytest.fixture(autouse=True)
def _catalogue():
    with assessment_catalogue():
        yield

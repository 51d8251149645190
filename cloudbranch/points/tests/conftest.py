import pytest

from cloudbranch.points import services


@pytest.fixture(autouse=True)
def _fresh_rules():
    """Rule rows roll back with each test while the per-process cache would keep them."""
    services.clear_rules_cache()
    yield
    services.clear_rules_cache()

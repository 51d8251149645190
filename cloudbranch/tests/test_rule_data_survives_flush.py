"""The compliance rules come from a data migration; a transactional test's flush deletes them,
and conftest loads them again. Both tests are transactional so pytest-django keeps their order."""

import pytest

from cloudbranch.fees.models import DuesBracket
from cloudbranch.meetings.models import ComplianceRule


@pytest.mark.django_db(transaction=True)
def test_a_transactional_test_flushes():
    assert ComplianceRule.objects.filter(rule_set="2018").count() == 6


@pytest.mark.django_db(transaction=True)
def test_b_rules_are_there_afterwards():
    assert ComplianceRule.objects.filter(rule_set="2018").count() == 6
    assert DuesBracket.objects.filter(rule_set="2008").count() == 8

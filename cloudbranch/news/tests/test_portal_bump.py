"""Services that change what the public portal shows start a new portal cache version."""

import pytest

from cloudbranch.news import articles
from cloudbranch.news.portal_cache import portal_version
from cloudbranch.news.tests.factories import article_published, publicity_officer

pytestmark = pytest.mark.django_db(transaction=True)


def test_publishing_and_withdrawing_bump_the_portal_version(world):
    officer = publicity_officer(world.branch_a1)
    before = portal_version()
    article = article_published(world.branch_a1, officer, world.users["secretary1"], visibility="public")
    after_publish = portal_version()
    assert after_publish != before
    articles.article_withdraw(actor=world.users["secretary1"], article_id=article.pk, reason="内容有误")
    assert portal_version() != after_publish

"""Chinese full-text search with CJK bigrams (ADR 0007): SQLite FTS5 here, PostgreSQL below."""

import pytest
from django.db import connection

from cloudbranch.learning import resources as svc
from cloudbranch.learning import search
from cloudbranch.learning.models import Resource
from cloudbranch.learning.tests.test_resources_support import make_resource

pytestmark = pytest.mark.django_db


def test_tokens_are_bigrams_plus_last_character_and_ascii_words():
    assert search.tokens("学习党章 Xi2024") == ["学习", "习党", "党章", "章", "xi2024"]
    assert search.tokens("“两个确立”") == ["两个", "个确", "确立", "立"]
    assert search.query_tokens("两个确立") == ["两个", "个确", "确立"]
    assert search.query_tokens("党") == ["党"]
    assert search.query_tokens("ＡＢＣ 党章 党章") == ["abc", "党章"]
    text = search.search_text_for(title="学习党章", body="<p>四个<b>意识</b></p>", knowledge_points=["党史"])
    title_line, rest = text.split("\n")
    assert title_line == "学习 习党 党章 章" and "意识" in rest and "党史" in rest and "<" not in rest


def ids(user, q):
    return list(svc.resource_list(user, svc.ResourceFilters(q=q)).values_list("pk", flat=True))


@pytest.fixture
def library(world):
    author = world.users["secretary1"]
    rows = {
        "title": make_resource(world.branch_a1, author, title="认真学习党章", body="<p>坚持不懈。</p>"),
        "body": make_resource(world.branch_a1, author, title="支部工作要点", body="<p>组织党员学习党章和党规。</p>"),
        "phrase": make_resource(
            world.branch_a1, author, title="深刻领悟", body="<p>深刻领悟“两个确立”的决定性意义，增强“四个意识”。</p>"
        ),
        "kp": make_resource(world.branch_a1, author, title="主题党日", body="<p>活动安排。</p>", kps=["党史"]),
        "other": make_resource(world.branch_a1, author, title="体育活动", body="<p>跑步。</p>"),
    }
    return rows


def test_two_character_word_and_phrase_and_knowledge_point(world, library):
    user = world.users["member1"]
    assert set(ids(user, "党章")) == {library["title"].pk, library["body"].pk}
    assert ids(user, "两个确立") == [library["phrase"].pk]
    assert ids(user, "四个意识") == [library["phrase"].pk]
    assert ids(user, "党史") == [library["kp"].pk]
    assert ids(user, "三个确立") == []  # every bigram must match
    assert ids(user, "!!!") != []  # nothing searchable: no filter


def test_title_matches_rank_first(world, library):
    user = world.users["member1"]
    assert ids(user, "党章")[0] == library["title"].pk
    assert ids(user, "学习党章")[0] == library["title"].pk


def test_one_character_query_is_a_prefix(world, library):
    user = world.users["member1"]
    found = set(ids(user, "章"))  # 章 ends a run in 党章: indexed as a lone last character too
    assert {library["title"].pk, library["body"].pk} <= found
    assert library["other"].pk not in found


def test_search_respects_the_audience(world, library):
    hidden = make_resource(world.branch_a2, world.users["secretary2"], title="学习党章二支部")
    assert hidden.pk not in ids(world.users["member1"], "党章")


def test_edit_reindexes(world, library):
    actor = world.users["secretary1"]
    svc.resource_update(actor=actor, resource_id=library["other"].pk, data={"title": "学习党章体会"})
    assert library["other"].pk in ids(world.users["member1"], "党章")
    svc.resource_update(actor=actor, resource_id=library["title"].pk, data={"title": "认真学习"})
    assert library["title"].pk not in ids(world.users["member1"], "党章")


def test_sqlite_uses_fts5(world, library):
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM learning_resource_fts WHERE learning_resource_fts MATCH %s", ['"党章"'])
        assert cursor.fetchone()[0] == 2
    Resource.objects.update(search_text="")  # a bulk load bypasses the service...
    assert ids(world.users["member1"], "党章")  # (FTS still has the rows)
    assert search.reindex() == 5  # ...reindex() rebuilds both
    assert set(ids(world.users["member1"], "党章")) == {library["title"].pk, library["body"].pk}


@pytest.mark.postgres
def test_postgres_gin_search(world, library):
    if connection.vendor != "postgresql":
        pytest.skip("runs against PostgreSQL (make test starts one)")
    user = world.users["member1"]
    assert set(ids(user, "党章")) == {library["title"].pk, library["body"].pk}
    assert ids(user, "党章")[0] == library["title"].pk
    assert ids(user, "两个确立") == [library["phrase"].pk]
    assert {library["title"].pk, library["body"].pk} <= set(ids(user, "章"))
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'learning_resource_search_gin'")
        assert "gin" in cursor.fetchone()[0].lower()

"""The public portal: anonymous pages, public-only content, no personal data, the cached home
page (queries, Cache-Control, ETag/Last-Modified, 304), RSS/Atom and the benchmark baseline."""

from __future__ import annotations

import datetime
import json
import xml.etree.ElementTree as ET

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cloudbranch.news import portal_services
from cloudbranch.news.choices import ArticleStatus, Category, DisclosureType, MessageStatus, Visibility
from cloudbranch.news.models import Article, Message, MessageReply, NewsPolicy
from cloudbranch.news.portal_cache import bump_portal_version
from cloudbranch.orgs.choices import UnitKind
from cloudbranch.testing.factories import UserFactory, make_unit

ATOM = "{http://www.w3.org/2005/Atom}"


def make_article(unit, title, *, category=Category.NEWS, visibility=Visibility.PUBLIC, status=None, **fields):
    status = status or ArticleStatus.PUBLISHED
    fields.setdefault("author", UserFactory(username=f"author_{Article.objects.count()}", display_name="作者张三"))
    fields.setdefault("body", f"<p>{title}的正文。</p>")
    if status == ArticleStatus.PUBLISHED:
        fields.setdefault("published_at", timezone.now() - datetime.timedelta(minutes=Article.objects.count()))
    return Article.objects.create(
        unit=unit, title=title, category=category, visibility=visibility, status=status, **fields
    )


def set_board(unit, *, public_board: bool, user=None):
    NewsPolicy.objects.update_or_create(
        unit=unit, defaults={"public_board": public_board, "updated_by": user or UserFactory()}
    )


def answered_message(unit, title, *, officer, status=MessageStatus.ANSWERED, public=True, **fields):
    message = Message.objects.create(
        unit=unit,
        category="consultation",
        title=title,
        body=f"{title}：请问具体安排？",
        status=status,
        public=public,
        visitor_name=fields.pop("visitor_name", "王访客"),
        visitor_contact=fields.pop("visitor_contact", "13912345678"),
        answered_at=timezone.now() if status != MessageStatus.OPEN else None,
        **fields,
    )
    if status != MessageStatus.OPEN:
        MessageReply.objects.create(message=message, author=officer, body=f"公开答复：{title}", public=True)
        MessageReply.objects.create(message=message, author=officer, body="内部说明：不公开", public=False)
    return message


def anon_get(client, name, *args, **headers):
    return client.get(reverse(name, args=args), headers=headers)


@pytest.fixture
def portal(world):
    """Public articles of every category under the root's tree, and some that are not public."""
    root, a1 = world.root, world.branch_a1
    world.public_news = make_article(a1, "一支部开展主题党日活动")
    world.public_notice = make_article(root, "关于做好年度党员民主评议的通知", category=Category.NOTICE, pinned=True)
    world.disclosure = make_article(
        root,
        "2026年第三季度党费收缴使用情况公开",
        category=Category.DISCLOSURE,
        disclosure_type=DisclosureType.DUES,
        disclosure_from=datetime.date(2026, 10, 1),
        disclosure_to=datetime.date(2026, 10, 31),
    )
    world.hidden = [
        make_article(root, "全校可见的内部通知", visibility=Visibility.SCHOOL),
        make_article(a1, "支部内部动态", visibility=Visibility.SUBTREE),
        make_article(a1, "仅党员可见的材料", visibility=Visibility.MEMBERS),
        make_article(root, "尚未提交的草稿", status=ArticleStatus.DRAFT),
        make_article(root, "待审核的稿件", status=ArticleStatus.SUBMITTED),
        make_article(root, "已撤回的新闻", status=ArticleStatus.WITHDRAWN),
        make_article(root, "定时发布未到时间", status=ArticleStatus.SCHEDULED),
    ]
    other_root = make_unit(name="另一所大学党委", code="OTHER")
    world.other_tree = make_article(other_root, "另一棵树的公开新闻")
    world.hidden.append(world.other_tree)
    return world


# --- anonymous access -------------------------------------------------------------------------


def test_every_portal_page_answers_anonymous_visitors(client, portal):
    set_board(portal.root, public_board=True)
    for name, args in [
        ("public:home", ()),
        ("public:article", (portal.public_news.pk,)),
        ("public:board", ()),
        ("public:feed_rss", ()),
        ("public:feed_atom", ()),
        ("public:captcha", ()),
    ]:
        response = anon_get(client, name, *args)
        assert response.status_code == 200, name
        assert "/accounts/login/" not in response.get("Location", "")


def test_home_shows_public_articles_only_pinned_first_with_disclosure_type_and_period(client, portal):
    html = anon_get(client, "public:home").content.decode()
    for article in (portal.public_news, portal.public_notice, portal.disclosure):
        assert article.title in html
        assert reverse("public:article", args=[article.pk]) in html
    for article in portal.hidden:
        assert article.title not in html
    assert "党费收缴使用" in html and "2026-10-01 至 2026-10-31" in html
    assert "置顶" in html
    assert "navbar" not in html  # the standalone public layout, not the logged-in one


def test_home_pins_first_within_a_category(client, world):
    old_pinned = make_article(
        world.root, "旧的置顶新闻", pinned=True, published_at=timezone.now() - datetime.timedelta(days=30)
    )
    newer = make_article(world.root, "最新的新闻")
    html = anon_get(client, "public:home").content.decode()
    assert html.index(old_pinned.title) < html.index(newer.title)


def test_non_public_articles_are_404_on_the_portal(client, portal):
    assert anon_get(client, "public:article", portal.public_news.pk).status_code == 200
    for article in portal.hidden:
        assert anon_get(client, "public:article", article.pk).status_code == 404, article.title
    assert anon_get(client, "public:article", 999999).status_code == 404


def test_a_logged_in_member_also_gets_only_public_articles_on_the_portal(login, portal):
    client = login(portal.users["member1"])
    assert client.get(reverse("public:article", args=[portal.hidden[1].pk])).status_code == 404
    assert client.get(reverse("public:home")).status_code == 200


def test_article_page_sanitizes_the_body_and_shows_no_author(client, world):
    article = make_article(
        world.root, "带脚本的文章", body='<p>正文</p><script>alert(1)</script><img src=x onerror="alert(2)">'
    )
    html = anon_get(client, "public:article", article.pk).content.decode()
    assert "正文" in html
    assert "<script>alert" not in html and "onerror" not in html
    assert article.author.username not in html and "作者张三" not in html


def test_no_personal_data_on_any_portal_page(client, portal):
    set_board(portal.root, public_board=True)
    officer = portal.users["admin"]
    answered_message(portal.root, "关于入党申请的咨询", officer=officer)
    person = portal.people["member1"]
    id_number = person.reveal_id_number()
    pages = [
        anon_get(client, "public:home"),
        anon_get(client, "public:article", portal.public_news.pk),
        anon_get(client, "public:board"),
        anon_get(client, "public:feed_rss"),
        anon_get(client, "public:feed_atom"),
    ]
    authors = {a.author.username for a in Article.objects.all()}
    for response in pages:
        html = response.content.decode()
        assert "作者张三" not in html
        for username in authors | {officer.username, "admin"}:
            assert f">{username}<" not in html and f" {username} " not in html
        assert officer.display_name not in html
        assert "13912345678" not in html and "王访客" not in html  # the visitor's contact and name
        assert person.phone not in html and person.name not in html
        assert id_number not in html and person.id_number_masked not in html
        assert "内部说明" not in html  # private replies


# --- caching ----------------------------------------------------------------------------------


def test_home_is_computed_in_three_queries_then_served_from_cache_with_none(client, portal):
    set_board(portal.root, public_board=True)  # closed, the hot messages' query is skipped (2)
    with CaptureQueriesContext(connection) as first:
        response = anon_get(client, "public:home")
    assert response.status_code == 200
    assert len(first) == 3, [q["sql"] for q in first]  # unit (+policy), articles (windowed), hot messages
    with CaptureQueriesContext(connection) as second:
        again = anon_get(client, "public:home")
    assert len(second) == 0
    assert again.content == response.content


def test_home_query_count_is_constant_as_rows_grow(client, portal):
    set_board(portal.root, public_board=True)
    for i in range(15):
        make_article(portal.college_a, f"学院动态{i}")
        make_article(portal.root, f"通知{i}", category=Category.NOTICE)
        answered_message(portal.root, f"咨询{i}", officer=portal.users["admin"])
    with CaptureQueriesContext(connection) as queries:
        html = anon_get(client, "public:home").content.decode()
    assert len(queries) == 3
    assert html.count(reverse("public:article", args=[1])[:-2]) >= 6  # links are there
    assert html.count('href="/public/board/#m') == portal_services.HOME_HOT_MESSAGES


def test_home_sends_public_cache_headers(client, portal):
    response = anon_get(client, "public:home")
    cache_control = response["Cache-Control"]
    assert "public" in cache_control and "max-age=60" in cache_control
    assert response["ETag"].startswith('"') and response["Last-Modified"]
    assert "csrftoken" not in response.cookies and "sessionid" not in response.cookies


def test_conditional_requests_get_304(client, portal):
    response = anon_get(client, "public:home")
    etag, modified = response["ETag"], response["Last-Modified"]
    with CaptureQueriesContext(connection) as queries:
        not_modified = anon_get(client, "public:home", **{"If-None-Match": etag})
    assert not_modified.status_code == 304 and not not_modified.content
    assert len(queries) == 0
    assert anon_get(client, "public:home", **{"If-Modified-Since": modified}).status_code == 304
    assert anon_get(client, "public:home", **{"If-None-Match": '"stale"'}).status_code == 200


def test_article_page_answers_conditional_requests(client, portal):
    response = anon_get(client, "public:article", portal.public_news.pk)
    assert "public" in response["Cache-Control"]
    again = anon_get(client, "public:article", portal.public_news.pk, **{"If-None-Match": response["ETag"]})
    assert again.status_code == 304


def test_bump_portal_version_refreshes_the_cached_home(client, portal, django_capture_on_commit_callbacks):
    anon_get(client, "public:home")
    late = make_article(portal.root, "刚刚发布的新闻")
    assert late.title not in anon_get(client, "public:home").content.decode()  # still the cached page
    with django_capture_on_commit_callbacks(execute=True):
        bump_portal_version()
    fresh = anon_get(client, "public:home")
    assert late.title in fresh.content.decode()


def test_portal_unit_setting_picks_the_root_when_several_exist(client, world, settings):
    other = make_unit(name="第二所大学党委", code="SECOND", kind=UnitKind.COMMITTEE)
    make_article(other, "第二所大学的公开新闻")
    make_article(world.root, "第一所大学的公开新闻")
    assert "第一所大学的公开新闻" in anon_get(client, "public:home").content.decode()
    settings.PUBLIC_PORTAL_UNIT_CODE = "SECOND"
    html = anon_get(client, "public:home").content.decode()
    assert "第二所大学党委" in html and "第二所大学的公开新闻" in html and "第一所大学的公开新闻" not in html


# --- feeds ------------------------------------------------------------------------------------


def test_rss_is_valid_xml_with_public_articles_only_and_absolute_links(client, portal):
    response = anon_get(client, "public:feed_rss")
    assert response["Content-Type"].startswith("application/rss+xml")
    channel = ET.fromstring(response.content).find("channel")
    items = channel.findall("item")
    titles = {i.findtext("title") for i in items}
    assert titles == {portal.public_news.title, portal.public_notice.title, portal.disclosure.title}
    for item in items:
        assert item.findtext("link").startswith("http://testserver/public/articles/")
    assert channel.findtext("link").startswith("http://testserver/public/")


def test_atom_is_valid_xml_with_public_articles_only(client, portal):
    response = anon_get(client, "public:feed_atom")
    assert response["Content-Type"].startswith("application/atom+xml")
    feed = ET.fromstring(response.content)
    entries = feed.findall(f"{ATOM}entry")
    titles = {e.findtext(f"{ATOM}title") for e in entries}
    assert titles == {portal.public_news.title, portal.public_notice.title, portal.disclosure.title}
    for entry in entries:
        assert entry.find(f"{ATOM}link").get("href").startswith("http://testserver/public/articles/")


def test_feeds_hold_the_20_latest(client, world):
    for i in range(25):
        make_article(world.root, f"新闻{i:02d}", published_at=timezone.now() - datetime.timedelta(hours=i))
    channel = ET.fromstring(anon_get(client, "public:feed_rss").content).find("channel")
    titles = [i.findtext("title") for i in channel.findall("item")]
    assert len(titles) == 20 and titles[0] == "新闻00" and titles[-1] == "新闻19"


# --- benchmark baseline -----------------------------------------------------------------------


def test_bench_view_is_off_by_default(client, world, monkeypatch):
    monkeypatch.delenv("BENCH_BARE_VIEW", raising=False)
    assert client.get("/public/_bench/").status_code == 404


def test_bench_view_renders_the_same_html_from_a_fixed_context(client, portal, monkeypatch, tmp_path):
    set_board(portal.root, public_board=True)
    answered_message(portal.root, "关于入党申请的咨询", officer=portal.users["admin"])
    unit = portal_services.portal_unit(with_policy=True)
    snapshot = tmp_path / "context.json"
    snapshot.write_text(json.dumps(portal_services.home_context(unit), ensure_ascii=False), encoding="utf-8")
    monkeypatch.setenv("BENCH_BARE_VIEW", "1")
    with CaptureQueriesContext(connection) as queries:
        builtin = client.get("/public/_bench/")
    assert builtin.status_code == 200 and len(queries) == 0
    monkeypatch.setenv("BENCH_BARE_CONTEXT", str(snapshot))
    assert client.get("/public/_bench/").content == anon_get(client, "public:home").content

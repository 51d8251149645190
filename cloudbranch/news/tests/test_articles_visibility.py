"""Visibility (public / school / subtree / members) used by list, detail, search and API; XSS."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.urls import reverse

from cloudbranch.news import articles as svc
from cloudbranch.news.choices import Visibility
from cloudbranch.news.models import Article
from cloudbranch.news.tests.factories import article_draft, article_published, publicity_officer
from cloudbranch.news.visibility import may_read, visible_articles
from cloudbranch.testing.factories import PersonFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def arts(world):
    """One published article of branch_a1 per visibility, and one subtree article of college_a."""
    officer = publicity_officer(world.branch_a1)
    approver = world.users["secretary1"]
    out = {
        v: article_published(world.branch_a1, officer, approver, visibility=v, title=f"一支部{v}文章")
        for v in Visibility.values
    }
    college_officer = publicity_officer(world.college_a)
    from cloudbranch.orgs.roles import Role
    from cloudbranch.testing.factories import grant

    college_secretary = UserFactory()
    grant(college_secretary, world.college_a, Role.COMMITTEE_SECRETARY)
    out["college"] = article_published(world.college_a, college_officer, college_secretary, title="学院党委通知")
    return out


def person_user(unit, **fields):
    user = UserFactory()
    PersonFactory(unit=unit, user=user, **fields)
    return user


def ids(user):
    return set(visible_articles(user).values_list("title", flat=True))


def test_anonymous_sees_public_only(world, arts):
    assert ids(AnonymousUser()) == {"一支部public文章"}
    assert not may_read(AnonymousUser(), arts["school"])


def test_member_of_the_branch_sees_all_and_the_upper_unit(world, arts):
    seen = ids(world.users["member1"])
    assert seen == {f"一支部{v}文章" for v in Visibility.values} | {"学院党委通知"}


def test_sibling_branch_person(world, arts):
    sibling = person_user(world.branch_a2)
    assert ids(sibling) == {"一支部public文章", "一支部school文章", "学院党委通知"}
    assert not may_read(sibling, arts["subtree"]) and not may_read(sibling, arts["members"])


def test_other_college_and_upper_unit_person(world, arts):
    other = person_user(world.branch_b1)
    assert ids(other) == {"一支部public文章", "一支部school文章"}
    # A person at the college itself (upper unit) does not see a branch's subtree article.
    upper = person_user(world.college_a)
    assert ids(upper) == {"一支部public文章", "一支部school文章", "学院党委通知"}
    # A person in the branch's group (below) does.
    below = person_user(world.group_a1)
    assert "一支部subtree文章" in ids(below) and "一支部members文章" in ids(below)


def test_members_only_vs_non_member_person(world, arts):
    masses = person_user(world.branch_a1, political_status="masses", joined_on=None, confirmed_on=None)
    assert not may_read(masses, arts["members"])
    assert may_read(masses, arts["subtree"])
    probationary = person_user(world.branch_a1, political_status="probationary", confirmed_on=None)
    assert may_read(probationary, arts["members"])


def test_duty_holders_and_users_without_person_see_public_only(world, arts):
    assert ids(world.users["sysadmin"]) == {"一支部public文章"}
    assert ids(UserFactory()) == {"一支部public文章"}


def test_managers_see_their_scope(world, arts):
    assert ids(world.users["admin"]) == {f"一支部{v}文章" for v in Visibility.values} | {"学院党委通知"}
    # secretary2 has no person: only the public article of a1 and the college's (no scope there either).
    assert ids(world.users["secretary2"]) == {"一支部public文章"}


def test_detail_page_404_when_not_visible(world, arts, client):
    url = reverse("news:article", args=[arts["subtree"].pk])
    client.force_login(person_user(world.branch_a2))
    assert client.get(url).status_code == 404
    assert client.get(reverse("news:article", args=[arts["school"].pk])).status_code == 200
    client.force_login(world.users["secretary2"])
    assert client.get(url).status_code == 404
    assert client.get(f"/api/news/articles/{arts['subtree'].pk}").status_code == 404
    client.force_login(world.users["member1"])
    assert client.get(url).status_code == 200
    assert client.get(f"/api/news/articles/{arts['subtree'].pk}").status_code == 200


def test_unpublished_articles_are_404_to_readers(world, client):
    officer = publicity_officer(world.branch_a1)
    draft = article_draft(world.branch_a1, officer, visibility="public")
    client.force_login(world.users["member1"])
    assert client.get(reverse("news:article", args=[draft.pk])).status_code == 404
    client.force_login(world.users["secretary1"])
    r = client.get(reverse("news:article", args=[draft.pk]))
    assert r.status_code == 200 and "预览" in r.content.decode()


def test_search_respects_visibility(world, arts):
    sibling = person_user(world.branch_a2)
    found = svc.article_list(sibling, svc.ArticleFilters(q="主题党日"))
    assert set(found.values_list("title", flat=True)) == {"一支部public文章", "一支部school文章", "学院党委通知"}
    assert svc.article_list(sibling, svc.ArticleFilters(q="不存在的词语")).count() == 0
    mine = svc.article_list(world.users["member1"], svc.ArticleFilters(q="一支部"))
    assert mine.count() == len(Visibility.values)


def test_attachment_and_cover_scoped(world, client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    officer = publicity_officer(world.branch_a1)
    pdf = SimpleUploadedFile("通知.pdf", b"%PDF-1.4\n%test\n", content_type="application/pdf")
    article = svc.article_create(
        actor=officer,
        unit_id=world.branch_a1.pk,
        data={"category": "notice", "title": "附件通知", "body": "<p>见附件</p>", "visibility": "subtree"},
        attachments=[pdf],
    )
    svc.article_submit(actor=officer, article_id=article.pk)
    svc.article_approve(actor=world.users["secretary1"], article_id=article.pk)
    att = article.attachments.get()
    client.force_login(world.users["member1"])
    r = client.get(reverse("news:attachment", args=[att.pk]))
    assert r.status_code == 200 and b"".join(r.streaming_content).startswith(b"%PDF-")
    client.force_login(person_user(world.branch_a2))
    assert client.get(reverse("news:attachment", args=[att.pk])).status_code == 404


XSS_PAYLOADS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=http://xss.example/xss.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    '<img src="javascript:alert(1)">',
    "<IMG SRC=`javascript:alert(1)`>",
    '<a href="javascript:alert(1)">x</a>',
    '<a href="JaVaScRiPt:alert(1)">x</a>',
    '<a href=" javascript:alert(1)">x</a>',
    '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)">x</a>',
    '<a href="jav&#x09;ascript:alert(1)">x</a>',
    '<a href="&#x6A;avascript&colon;alert(1)">x</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
    '<img src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+">',
    '<a href="vbscript:msgbox(1)">x</a>',
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<body onload=alert(1)>",
    '<iframe src="javascript:alert(1)"></iframe>',
    '<div style="background:url(javascript:alert(1))">x</div>',
    '<p style="width: expression(alert(1))">x</p>',
    '<style>body{background:url("javascript:alert(1)")}</style>',
    "<input onfocus=alert(1) autofocus>",
    "<details open ontoggle=alert(1)>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)></style></mglyph></table></mtext></math>",
    "<img src=x:alert(alt) onerror=eval(src) alt=0>",
    '<object data="javascript:alert(1)"></object>',
    '<embed src="javascript:alert(1)">',
    '<form action="javascript:alert(1)"><button>x</button></form>',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    "<<script>script>alert(1)<</script>/script>",
    '<table background="javascript:alert(1)"><tr><td>x</td></tr></table>',
    '<a href="http://ok.example" onclick="alert(1)">ok</a>',
    '<base href="javascript:alert(1)//">',
    '<link rel=stylesheet href="javascript:alert(1)">',
    '<img src="/media/../../etc/passwd">',
    "%3Cscript%3Ealert(1)%3C/script%3E",
    '<p onmouseover="alert(1)">hover</p>',
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
]
FORBIDDEN = (
    "<script",
    "javascript:",
    "vbscript:",
    "data:",
    "onerror",
    "onload",
    "onclick",
    "onfocus",
    "ontoggle",
    "onmouseover",
    "expression(",
    "style=",
    "<style",
    "<iframe",
    "<svg",
    "<object",
    "<embed",
    "<form",
    "<meta",
    "<base",
    "<link",
    "<input",
    "/media/..",
)


def _body_segment(html: str) -> str:
    start = html.index('class="cb-article-body')
    return html[start : html.index("</div>", start)]


def test_xss_payloads_neutralized_in_stored_and_rendered_html(world, client):
    assert len(XSS_PAYLOADS) >= 20
    officer = publicity_officer(world.branch_a1)
    client.force_login(world.users["member1"])
    for i, payload in enumerate(XSS_PAYLOADS):
        article = article_published(
            world.branch_a1,
            officer,
            world.users["secretary1"],
            title=f"<script>alert({i})</script>标题",
            summary='"><img src=x onerror=alert(1)>',
            body=f"<p>正文{i}</p>{payload}",
        )
        stored = Article.objects.get(pk=article.pk).body.lower()
        for bad in FORBIDDEN:
            assert bad not in stored, (payload, stored)
        html = client.get(reverse("news:article", args=[article.pk])).content.decode()
        segment = _body_segment(html).lower()
        for bad in FORBIDDEN:
            assert bad not in segment, (payload, segment)
        assert f"<script>alert({i})" not in html and "<img src=x onerror" not in html
    # What is allowed survives: a safe link gets rel=noopener.
    safe = article_draft(world.branch_a1, officer, body='<p><a href="https://www.12371.cn/">共产党员网</a></p>').body
    assert 'href="https://www.12371.cn/"' in safe and "noopener" in safe

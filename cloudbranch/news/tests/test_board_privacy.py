"""Message board: anonymous messages never show their author to the unit's officers; private
messages are hidden from everyone but the officers and the author."""

import pytest

from cloudbranch.audit.models import AuditEvent
from cloudbranch.news import board
from cloudbranch.news.models import Message
from cloudbranch.notifications.models import Notification
from cloudbranch.orgs.roles import Role
from cloudbranch.testing.factories import PersonFactory, UserFactory, grant

pytestmark = pytest.mark.django_db

SECRET_NAME = "匿名者真名"
SECRET_USERNAME = "whistle_blower_77"


@pytest.fixture
def whistler(world):
    user = UserFactory(username=SECRET_USERNAME, display_name=SECRET_NAME)
    PersonFactory(unit=world.branch_a1, name=SECRET_NAME, user=user)
    return user


@pytest.fixture
def publicity(world):
    user = UserFactory(username="publicity_a1", display_name="宣传委员甲")
    grant(user, world.branch_a1, Role.PUBLICITY_OFFICER)
    return user


def _anonymous_message(world, whistler, **kw):
    return board.message_create(
        actor=whistler,
        unit=world.branch_a1,
        category="complaint",
        title="反映支部活动签到问题",
        body="有人代签到。",
        anonymous=True,
        **kw,
    )


def _assert_hidden(text: str):
    assert SECRET_NAME not in text
    assert SECRET_USERNAME not in text


def test_officers_pages_never_show_the_anonymous_author(world, whistler, publicity, client):
    message = _anonymous_message(world, whistler)
    for officer in (world.users["secretary1"], publicity, world.users["admin"]):
        client.force_login(officer)
        pages = [
            f"/news/board/?unit={world.branch_a1.pk}",
            f"/news/board/{message.pk}/",
            "/news/board/manage/",
            "/news/board/manage/?status=all",
            f"/news/board/stats/?unit={world.branch_a1.pk}",
        ]
        for url in pages:
            response = client.get(url)
            assert response.status_code == 200, url
            text = response.content.decode()
            _assert_hidden(text)
        assert "匿名" in client.get(f"/news/board/{message.pk}/").content.decode()


def test_officers_api_never_shows_the_anonymous_author(world, whistler, client):
    message = _anonymous_message(world, whistler)
    board.message_reply(actor=world.users["secretary1"], message=message, body="已核实，感谢反映。")
    client.force_login(world.users["secretary1"])
    for url in (
        f"/api/news/board/messages?unit={world.branch_a1.pk}",
        "/api/news/board/messages",
        f"/api/news/board/messages/{message.pk}",
        f"/api/news/board/stats?unit={world.branch_a1.pk}",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        _assert_hidden(response.content.decode())
    body = client.get(f"/api/news/board/messages/{message.pk}").json()
    assert body["author"] == "匿名" and body["anonymous"] is True and body["is_mine"] is False
    assert "author_id" not in body


def test_the_author_sees_their_own_anonymous_message_as_theirs(world, whistler, client):
    message = _anonymous_message(world, whistler)
    client.force_login(whistler)
    body = client.get(f"/api/news/board/messages/{message.pk}").json()
    assert body["is_mine"] is True and body["author"] == "匿名（本人）"


def test_notifications_to_officers_do_not_name_the_anonymous_author(world, whistler, publicity):
    _anonymous_message(world, whistler)
    notes = Notification.objects.filter(recipient__in=[world.users["secretary1"], publicity])
    assert notes.count() == 2
    for note in notes:
        _assert_hidden(note.title + note.body + note.url)
        assert "匿名" in note.body


def test_the_audit_row_records_the_real_author(world, whistler):
    message = _anonymous_message(world, whistler)
    event = AuditEvent.objects.get(action="news.message.create", target_id=str(message.pk))
    assert event.actor_id == whistler.pk
    assert event.actor_name == SECRET_USERNAME
    assert event.changes["anonymous"] is True
    assert Message.objects.get(pk=message.pk).author_id == whistler.pk  # stored for the trace


def test_private_message_hidden_from_other_members_and_sibling_officers(world, client):
    member = world.users["member1"]
    message = board.message_create(
        actor=member, unit=world.branch_a1, category="consultation", title="私下咨询组织关系", body="内容", public=False
    )
    other = UserFactory(username="a1_other_user")
    PersonFactory(unit=world.branch_a1, user=other)
    for user in (other, world.users["secretary2"]):
        client.force_login(user)
        assert client.get(f"/news/board/{message.pk}/").status_code == 404
        assert "私下咨询组织关系" not in client.get(f"/news/board/?unit={world.branch_a1.pk}").content.decode()
        assert client.get(f"/api/news/board/messages/{message.pk}").status_code == 404
        listed = client.get(f"/api/news/board/messages?unit={world.branch_a1.pk}").json()
        assert all(item["id"] != message.pk for item in listed["items"])
    # the author and the unit's officers see it
    for user in (member, world.users["secretary1"], world.users["admin"]):
        client.force_login(user)
        assert client.get(f"/news/board/{message.pk}/").status_code == 200


def test_private_reply_seen_by_author_not_by_other_members(world, client):
    member = world.users["member1"]
    message = board.message_create(
        actor=member, unit=world.branch_a1, category="suggestion", title="建议增加学习资料", body="内容"
    )
    board.message_reply(actor=world.users["secretary1"], message=message, body="公开答复内容", public=True)
    board.message_reply(actor=world.users["secretary1"], message=message, body="单独答复内容", public=False)
    client.force_login(member)
    text = client.get(f"/news/board/{message.pk}/").content.decode()
    assert "公开答复内容" in text and "单独答复内容" in text
    other = UserFactory()
    PersonFactory(unit=world.branch_a1, user=other)
    client.force_login(other)
    text = client.get(f"/news/board/{message.pk}/").content.decode()
    assert "公开答复内容" in text and "单独答复内容" not in text
    api = client.get(f"/api/news/board/messages/{message.pk}").json()
    assert [r["body"] for r in api["replies"]] == ["公开答复内容"]


def test_members_of_another_tree_cannot_see_or_write(world, client):
    from cloudbranch.testing.factories import make_unit

    other_root = make_unit(name="另一所大学党委")
    outsider = UserFactory()
    PersonFactory(unit=other_root, user=outsider)
    message = board.message_create(
        actor=world.users["member1"], unit=world.branch_a1, category="other", title="公开留言", body="内容"
    )
    client.force_login(outsider)
    assert client.get(f"/news/board/{message.pk}/").status_code == 404
    assert client.get(f"/news/board/?unit={world.branch_a1.pk}").status_code == 404
    response = client.post(
        "/news/board/new/", {"unit": world.branch_a1.pk, "category": "other", "title": "t", "body": "b", "public": "on"}
    )
    assert response.status_code == 422
    assert not Message.objects.filter(title="t").exists()

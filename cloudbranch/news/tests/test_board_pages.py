"""Pages of the board for logged-in people: the form with the unit search, the default board."""

import pytest

from cloudbranch.news.models import Message

pytestmark = pytest.mark.django_db


def test_member_leaves_an_anonymous_private_message_through_the_form(world, client):
    client.force_login(world.users["member1"])
    response = client.get("/news/board/new/")
    assert response.status_code == 200
    assert world.branch_a1.name in response.content.decode()  # own branch preselected
    # pick another unit of the tree by search
    picked = client.get("/news/board/units/?q=数学")
    assert (
        world.branch_b1.name in picked.content.decode() and f'value="{world.branch_b1.pk}"' in picked.content.decode()
    )
    data = {
        "unit": world.branch_b1.pk,
        "category": "complaint",
        "title": "跨学院反映",
        "body": "内容",
        "anonymous": "on",
    }
    response = client.post("/news/board/new/", data)
    assert response.status_code == 302
    message = Message.objects.get(title="跨学院反映")
    assert message.unit == world.branch_b1 and message.anonymous and not message.public
    assert message.author == world.users["member1"]


def test_form_errors_are_422_and_write_nothing(world, client):
    client.force_login(world.users["member1"])
    response = client.post("/news/board/new/", {"category": "complaint", "title": "", "body": ""})
    assert response.status_code == 422
    response = client.post("/news/board/new/", {"unit": 999999, "category": "other", "title": "t", "body": "b"})
    assert response.status_code == 422 and "请选择留言对象" in response.content.decode()
    assert not Message.objects.exists()


def test_board_defaults_to_own_branch_and_searches_units(world, client):
    client.force_login(world.users["member1"])
    response = client.get("/news/board/")
    assert response.status_code == 200 and world.branch_a1.name in response.content.decode()
    links = client.get("/news/board/units/?q=第二&mode=link").content.decode()
    assert f"/news/board/?unit={world.branch_a2.pk}" in links


def test_duty_holders_have_no_board(world, client):
    client.force_login(world.users["sysadmin"])
    response = client.get("/news/board/")
    assert response.status_code == 200
    assert client.get("/news/board/units/?q=党委").content.decode().count("list-group-item") == 0
    assert client.get(f"/news/board/?unit={world.branch_a1.pk}").status_code == 404

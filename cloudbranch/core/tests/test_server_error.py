"""The 500 page while the database is down: a page still comes back (not the server's bare text)."""

import json

import pytest
from django.db import OperationalError
from django.test import RequestFactory
from django.utils.functional import SimpleLazyObject

from cloudbranch.core import views

rf = RequestFactory()


def test_plain_page_when_the_full_page_needs_the_database():
    def database_down():
        raise OperationalError("server closed the connection unexpectedly")

    request = rf.get("/meetings/")
    request.user = SimpleLazyObject(database_down)  # what reading the session's user does then
    response = views.server_error(request)
    assert response.status_code == 500
    page = response.content.decode()
    assert "服务器暂时无法处理请求" in page and "<html" in page


@pytest.mark.django_db
def test_full_page_otherwise_and_json_for_the_api():
    request = rf.get("/meetings/")
    from django.contrib.auth.models import AnonymousUser

    request.user = AnonymousUser()
    response = views.server_error(request)
    assert response.status_code == 500 and "服务器错误" in response.content.decode()
    response = views.server_error(rf.get("/api/meetings"))
    assert response.status_code == 500
    assert json.loads(response.content) == {"detail": views.SERVER_ERROR, "errors": []}

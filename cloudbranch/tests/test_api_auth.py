"""The API authenticates every request itself: JSON errors, never a redirect to the login page."""

from cloudbranch.accounts.services import api_token_create


def test_anonymous_api_gets_401_json_not_a_redirect(client, db):
    response = client.get("/api/me")
    assert response.status_code == 401
    assert response.json() == {"detail": "请先登录或提供有效的 API 令牌。", "errors": []}


def test_bearer_token_authenticates(client, world):
    _, token = api_token_create(actor=world.users["secretary1"], name="脚本", days=30)
    response = client.get("/api/me", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200
    assert response.json()["username"] == "secretary1"


def test_wrong_token_is_401(client, db):
    response = client.get("/api/me", HTTP_AUTHORIZATION="Bearer cb_not-a-token")
    assert response.status_code == 401


def test_openapi_schema_is_public(client, db):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    assert response.json()["info"]["title"].startswith("CloudBranch")


def test_huge_page_number_is_a_clear_422(client, world):
    client.force_login(world.users["admin"])
    response = client.get("/api/people?page=145283963587259839545344")
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "page"

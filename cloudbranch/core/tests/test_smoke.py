def test_healthz(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_home_requires_login(client, db):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_api_me(client, world):
    client.force_login(world.users["secretary1"])
    body = client.get("/api/me").json()
    assert body["username"] == "secretary1"
    assert "people.view_person" in body["permissions"]

"""The member's own volunteer profile: service, page and API."""

import pytest

from cloudbranch.audit.models import AuditEvent
from cloudbranch.core.errors import DomainError
from cloudbranch.volunteering.models import VolunteerProfile
from cloudbranch.volunteering.profile import profile_update

pytestmark = pytest.mark.django_db


def test_update_own_profile_audited(world):
    user = world.users["member1"]
    p = profile_update(actor=user, skills=["medical", "it", "medical"], free_slots=["sun_ev", "sat_am"], note=" 周末 ")
    assert p.person == world.people["member1"]
    assert p.skills == ["medical", "it"] and p.free_slots == ["sat_am", "sun_ev"] and p.note == "周末"
    event = AuditEvent.objects.get(action="volunteering.profile.create")
    assert event.changes["skills"]["new"] == ["medical", "it"]
    profile_update(actor=user, skills=["law"], free_slots=["sat_am", "sun_ev"], note="周末")
    event = AuditEvent.objects.get(action="volunteering.profile.update")
    assert set(event.changes) == {"skills"}
    # no change, no audit row
    profile_update(actor=user, skills=["law"], free_slots=["sat_am", "sun_ev"], note="周末")
    assert AuditEvent.objects.filter(action__startswith="volunteering.profile").count() == 2


def test_invalid_values_refused(world):
    with pytest.raises(DomainError) as exc:
        profile_update(actor=world.users["member1"], skills=["flying"], free_slots=[])
    assert exc.value.errors[0]["field"] == "skills"
    with pytest.raises(DomainError):
        profile_update(actor=world.users["member1"], free_slots=["sat_night"])
    with pytest.raises(DomainError):
        profile_update(actor=world.users["member1"], note="长" * 201)
    with pytest.raises(DomainError, match="没有关联人员档案"):
        profile_update(actor=world.users["secretary1"], skills=["law"])
    assert not VolunteerProfile.objects.exists()


def test_profile_page(world, login, client):
    login(world.users["member1"])
    response = client.get("/service/me/profile/")
    body = response.content.decode()
    assert response.status_code == 200
    assert "医疗护理" in body and 'aria-label="周六上午"' in body and "晚上" in body
    response = client.post("/service/me/profile/", {"skills": ["medical"], "free_slots": ["sat_am"], "note": ""})
    assert response.status_code == 302
    assert VolunteerProfile.objects.get().free_slots == ["sat_am"]
    response = client.get("/service/me/profile/")
    assert 'value="sat_am" id="slot-sat_am" aria-label="周六上午" checked' in response.content.decode()
    response = client.post("/service/me/profile/", {"skills": ["flying"]})
    assert response.status_code == 422
    assert VolunteerProfile.objects.get().skills == ["medical"]


def test_profile_api(world, login, client):
    login(world.users["member1"])
    assert client.get("/api/service/me/profile").json()["skills"] == []
    response = client.put(
        "/api/service/me/profile",
        {"skills": ["it"], "free_slots": ["mon_ev"], "note": "晚上可以"},
        content_type="application/json",
    )
    assert response.status_code == 200
    data = client.get("/api/service/me/profile").json()
    assert data["skills"] == [{"value": "it", "label": "计算机与网络"}]
    assert data["free_slots"] == [{"value": "mon_ev", "label": "周一晚上"}]
    response = client.put("/api/service/me/profile", {"skills": ["x"]}, content_type="application/json")
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "skills"

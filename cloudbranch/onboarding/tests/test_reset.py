import re

from django.urls import reverse

from cloudbranch.audit.models import AuditEvent
from cloudbranch.onboarding import services
from cloudbranch.onboarding.models import OutboundCode

from .conftest import NEW_PASSWORD, last_code

RESET = reverse("onboarding:reset")
CONFIRM = reverse("onboarding:reset_confirm")
TOKENS = re.compile(r"[A-Za-z0-9_-]{20,}")  # CSRF tokens and script nonces differ per response


def _member_with_staff_number(world):
    person = world.people["member1"]
    person.staff_number = "M0001"
    person.save(update_fields=["staff_number"])
    return person


def _confirm_page(client, response):
    assert response.status_code == 302 and response["Location"] == CONFIRM
    page = client.get(CONFIRM)
    assert page.status_code == 200
    return page.content.decode()


def test_reset_answers_the_same_for_unknown_people(world, client):
    _member_with_staff_number(world)
    pages = []
    for data in (
        {"staff_number": "M0001", "name": "党员一"},  # real
        {"staff_number": "M0001", "name": "别人"},  # wrong name
        {"staff_number": "NOBODY", "name": "党员一"},  # unknown staff number
    ):
        client.cookies.clear()
        pages.append(_confirm_page(client, client.post(RESET, data)))
    assert all(services.RESET_ANSWER in p for p in pages)
    # Only the real person got a code; the pages do not differ (CSRF tokens aside).
    assert OutboundCode.objects.count() == 1
    assert len({TOKENS.sub("", p) for p in pages}) == 1
    # An unknown person's code step fails like a wrong code.
    response = client.post(CONFIRM, {"code": "123456", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.status_code == 422 and services.CODE_GENERIC in response.content.decode()


def test_reset_end_to_end(world, client):
    from django.test import Client

    person = _member_with_staff_number(world)
    other_device = Client()
    other_device.force_login(person.user)
    client.post(RESET, {"staff_number": "m0001 ", "name": "党员一"})
    code = last_code()
    reused = client.post(CONFIRM, {"code": code, "password1": "Passw0rd!x", "password2": "Passw0rd!x"})
    assert reused.status_code == 422 and "最近" in reused.content.decode()  # the current password again
    response = client.post(CONFIRM, {"code": code, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.status_code == 302 and response["Location"] == reverse("accounts:login")
    person.user.refresh_from_db()
    assert person.user.check_password(NEW_PASSWORD)
    assert AuditEvent.objects.filter(action="onboarding.reset.success", target_id=str(person.user_id)).exists()
    assert other_device.get(reverse("accounts:profile")).status_code == 302  # other sessions ended
    # The code is used once.
    client.post(RESET, {"staff_number": "M0001", "name": "党员一"})
    again = client.post(CONFIRM, {"code": "000000", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert again.status_code == 422

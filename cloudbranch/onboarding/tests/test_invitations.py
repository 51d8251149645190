import pytest
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cloudbranch.onboarding import services
from cloudbranch.onboarding.models import Invitation, InvitationBatch, OutboundCode
from cloudbranch.testing.factories import PersonFactory


def _send(actor, unit, callbacks, **filters):
    with callbacks(execute=True):
        batch = services.invitation_batch_create(actor=actor, unit_id=unit.pk, filters=filters)
    batch.refresh_from_db()
    return batch


def test_invitations_are_idempotent(world, django_capture_on_commit_callbacks, settings):
    settings.SITE_URL = "https://dangjian.example.edu.cn"
    PersonFactory(unit=world.group_a1, name="组员")  # in the subtree of branch_a1
    batch = _send(world.users["secretary1"], world.branch_a1, django_capture_on_commit_callbacks)
    # a1_other and the group member; member1 already has an account.
    assert (batch.status, batch.total, batch.sent, batch.skipped) == ("done", 3, 2, 1)
    texts = list(OutboundCode.objects.values_list("text", flat=True))
    assert all("https://dangjian.example.edu.cn/activate/" in t for t in texts)
    assert not any("验证码" in t for t in texts)

    # The same batch again sends nothing twice.
    with django_capture_on_commit_callbacks(execute=True):
        services.invitation_batch_rerun(actor=world.users["secretary1"], batch_id=batch.pk)
    assert services.invitation_batch_send(batch_id=batch.pk) == {"sent": 0, "skipped": 3, "failed": 0}
    # A new batch within 7 days skips the people just invited.
    second = _send(world.users["admin"], world.college_a, django_capture_on_commit_callbacks)
    assert second.sent == 1  # only a2_person, never invited before
    assert Invitation.objects.count() == 3 and OutboundCode.objects.count() == 3


def test_sibling_batch_is_not_found(world, login, django_capture_on_commit_callbacks):
    batch = _send(world.users["secretary1"], world.branch_a1, django_capture_on_commit_callbacks)
    url = reverse("onboarding:batch_detail", args=[batch.pk])
    assert login(world.users["secretary1"]).get(url).status_code == 200
    assert login(world.users["admin"]).get(url).status_code == 200
    assert login(world.users["secretary2"]).get(url).status_code == 404
    assert login(world.users["secretary2"]).get(f"/api/onboarding/invitations/{batch.pk}").status_code == 404
    assert login(world.users["member1"]).get(url).status_code == 403


def test_the_filter_is_scoped(world, login):
    client = login(world.users["secretary1"])
    page = client.get(reverse("onboarding:invitations")).content.decode()
    assert world.people["a1_other"].name in page and world.people["a2_person"].name not in page
    assert client.get(reverse("onboarding:invitations"), {"unit": world.branch_a2.pk}).status_code == 404
    names = {row["name"] for row in client.get("/api/onboarding/status").json()["items"]}
    assert names == {"党员一", "张一"}
    not_yet = client.get("/api/onboarding/status", {"activated": "no"}).json()["items"]
    assert [row["name"] for row in not_yet] == ["张一"]
    # A sibling's unit cannot be used for a batch either.
    with pytest.raises(Http404):
        services.invitation_batch_create(actor=world.users["secretary1"], unit_id=world.branch_a2.pk)
    assert not InvitationBatch.objects.exists()


def test_status_list_queries_do_not_grow_with_rows(world, login):
    client = login(world.users["admin"])

    def count():
        with CaptureQueriesContext(connection) as page_queries:
            assert client.get(reverse("onboarding:invitations")).status_code == 200
        with CaptureQueriesContext(connection) as api_queries:
            assert client.get("/api/onboarding/status").status_code == 200
        return len(page_queries), len(api_queries)

    PersonFactory.create_batch(3, unit=world.branch_a1)
    before = count()
    PersonFactory.create_batch(12, unit=world.branch_b1)
    assert count() == before


def test_demo_seed_picks_people_to_try_and_sends_one_batch(world):
    from cloudbranch.onboarding import demo

    from .conftest import make_newcomer

    _, id_number = make_newcomer(world.branch_a1)
    counts = demo.seed(
        world.root,
        seed=1,
        creator=world.users["admin"].pk,
        demo={"branch1": world.branch_a1, "branch2": world.branch_a2},
    )
    assert counts["try_activation"] == [
        {
            "name": "赵新人",
            "id_number": id_number,
            "staff_number": "S2024001",
            "phone": "138****1234",
            "unit": world.branch_a1.name,
        }
    ]
    assert counts["sent"] == 1 and demo.has_onboarding(world.root)

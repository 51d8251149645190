"""Study tracking: heartbeat caps, media progress, completion and points, the study record."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from cloudbranch.audit.models import AuditEvent
from cloudbranch.learning import tracking
from cloudbranch.learning.models import StudyDay, StudyProgress
from cloudbranch.learning.tests.test_resources_support import make_resource

pytestmark = pytest.mark.django_db

T0 = timezone.make_aware(datetime.datetime(2030, 3, 2, 9, 0, 0))


def at(seconds):
    return T0 + datetime.timedelta(seconds=seconds)


@pytest.fixture
def awards(monkeypatch):
    """Record point_award calls (the real one is exercised in test_completion_awards_points_once)."""
    calls = []
    from cloudbranch.points import services as points_services

    monkeypatch.setattr(points_services, "point_award", lambda **kw: calls.append(kw))
    return calls


def beats(person, resource, times, **kw):
    progress = None
    for t in times:
        progress = tracking.heartbeat(person=person, resource=resource, now=at(t), **kw)
    return progress


def test_beats_credit_elapsed_seconds_capped_at_20(world, awards):
    person = world.people["member1"]
    article = make_resource(world.branch_a1, world.users["secretary1"], min_seconds=600)
    p = beats(person, article, [0])
    assert p.seconds == 0  # the first beat starts the clock
    p = beats(person, article, [15])
    assert p.seconds == 15
    p = beats(person, article, [45])  # 30 s later: at most 20
    assert p.seconds == 35
    p = beats(person, article, [105])  # exactly 60 s: still credited, capped
    assert p.seconds == 55
    assert StudyDay.objects.get(person=person, day=T0.date()).seconds == 55


def test_a_steady_heartbeat_costs_five_queries(world, awards):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    person = world.people["member1"]
    article = make_resource(world.branch_a1, world.users["secretary1"], min_seconds=600)
    beats(person, article, [0, 15])
    with CaptureQueriesContext(connection) as ctx:
        beats(person, article, [30])
    # savepoint, progress row (locked), update progress, add to the day, release
    assert len(ctx.captured_queries) == 5


def test_no_credit_after_60_seconds_of_silence(world, awards):
    person = world.people["member1"]
    article = make_resource(world.branch_a1, world.users["secretary1"], min_seconds=600)
    beats(person, article, [0, 15])
    p = beats(person, article, [15 + 61])  # a tab left open in the background
    assert p.seconds == 15
    p = beats(person, article, [15 + 61 + 15])  # studying again
    assert p.seconds == 30


def test_total_is_capped_at_three_times_expected(world, awards):
    person = world.people["member1"]
    article = make_resource(world.branch_a1, world.users["secretary1"], min_seconds=60)
    p = beats(person, article, range(0, 15 * 30, 15))  # 29 credited beats of 15 s = 435 s
    assert p.seconds == 180
    assert StudyDay.objects.get(person=person).seconds == 180


def test_media_percent_resume_and_completion(world, awards):
    person = world.people["member1"]
    video = make_resource(
        world.branch_a1, world.users["secretary1"], kind="video", duration_seconds=100, min_percent=90, body=""
    )
    p = tracking.heartbeat(person=person, resource=video, position=0, now=at(0))
    assert (p.max_position, p.percent, p.position) == (0, 0, 0)
    # jumping to the end is not watching it: the furthest position grows at most 2x the credit + 1
    p = tracking.heartbeat(person=person, resource=video, position=95, now=at(15))
    assert p.max_position == 31 and p.percent == 31 and p.position == 95
    assert p.completed_at is None
    for i, pos in enumerate((45, 60, 75, 90), start=2):
        p = tracking.heartbeat(person=person, resource=video, position=pos, now=at(15 * i))
    assert p.max_position == 90 and p.percent == 90
    assert p.completed_at == at(75)
    assert awards == [
        {
            "person": person,
            "action": "watch_video",
            "source_type": "resource",
            "source_id": str(video.pk),
            "occurred_at": at(75),
        }
    ]
    # resume where the member stopped (a later, smaller position is the resume point)
    p = tracking.heartbeat(person=person, resource=video, position=40, now=at(90))
    assert p.position == 40 and p.max_position == 90 and p.completed_at == at(75)
    assert len(awards) == 1
    assert AuditEvent.objects.filter(action="learning.progress.complete").count() == 1


def test_media_without_known_duration_uses_the_players(world, awards):
    person = world.people["member1"]
    audio = make_resource(world.branch_a1, world.users["secretary1"], kind="audio", body="", min_percent=50)
    tracking.heartbeat(person=person, resource=audio, position=0, duration=40, now=at(0))
    p = tracking.heartbeat(person=person, resource=audio, position=15, duration=40, now=at(15))
    assert p.percent == 37
    p = tracking.heartbeat(person=person, resource=audio, position=30, duration=40, now=at(30))
    assert p.percent == 75 and p.completed_at is not None


def test_completion_awards_points_once_and_tells_tasks(world, monkeypatch):
    from cloudbranch.learning import tasks
    from cloudbranch.points.models import PointEvent

    told = []
    monkeypatch.setattr(tasks, "progress_changed", lambda person_id: told.append(person_id), raising=False)
    person = world.people["member1"]
    article = make_resource(world.branch_a1, world.users["secretary1"], min_seconds=30)
    p = beats(person, article, [0, 15, 30])
    assert p.completed_at == at(30)
    beats(person, article, [45, 60])
    events = PointEvent.objects.filter(person=person, source_type="resource", source_id=str(article.pk))
    assert events.count() == 1 and events.get().action == "read_article"
    assert told == [person.pk]
    # completing again (e.g. a second progress row can't exist; a re-award is a no-op)
    from cloudbranch.points.services import point_award

    assert point_award(person=person, action="read_article", source_type="resource", source_id=str(article.pk)) is None


def test_heartbeat_endpoint(world, login, awards):
    article = make_resource(world.branch_a1, world.users["secretary1"])
    client = login(world.users["member1"])
    url = reverse("learning:heartbeat", args=[article.pk])
    response = client.post(url, data={"position": 3}, content_type="application/json")
    assert response.status_code == 200 and response.json()["seconds"] == 0
    assert StudyProgress.objects.filter(person=world.people["member1"], resource=article).exists()
    draft = make_resource(world.branch_a1, world.users["secretary1"], status="draft")
    assert client.post(reverse("learning:heartbeat", args=[draft.pk])).status_code == 404
    # a manager previewing a draft is not studying it
    preview = login(world.users["secretary1"]).post(reverse("learning:heartbeat", args=[draft.pk]))
    assert preview.status_code == 403


def test_study_record_and_certificate(world, login, awards):
    person = world.people["member1"]
    article = make_resource(world.branch_a1, world.users["secretary1"], min_seconds=3600, column="law")
    StudyDay.objects.create(person=person, day=datetime.date(2030, 1, 5), seconds=5400)
    StudyDay.objects.create(person=person, day=datetime.date(2030, 2, 5), seconds=1800)
    StudyDay.objects.create(person=person, day=datetime.date(2029, 12, 31), seconds=600)
    StudyProgress.objects.create(person=person, resource=article, seconds=7200, last_beat_at=at(0), completed_at=at(0))
    record = tracking.study_record(person)
    assert [(r.year, r.seconds) for r in record] == [(2030, 7200), (2029, 600)]
    assert record[0].months == {1: 5400, 2: 1800}
    cert = tracking.certificate(person, 2030)
    assert cert.hours == tracking.hours(7200) and str(cert.hours) == "2.0"
    assert cert.columns == [("法律法规", tracking.hours(7200))]
    assert cert.code == tracking.verification_code(person.pk, 2030, cert.hours)
    assert cert.code != tracking.verification_code(person.pk, 2030, tracking.hours(7560))
    assert (
        str(tracking.hours(7560)) == "2.1" and str(tracking.hours(179)) == "0.0" and str(tracking.hours(180)) == "0.1"
    )

    client = login(world.users["member1"])
    page = client.get(reverse("learning:my_study")).content.decode()
    assert "2030 年 · 2.0 小时" in page and "2.2" in page  # 2.0 + 0.2 total
    response = client.get(reverse("learning:certificate", args=[2030]))
    body = response.content.decode()
    assert person.name in body and world.branch_a1.name in body and cert.code in body and "2.0" in body
    assert not AuditEvent.objects.filter(action="learning.certificate.print").exists()
    printed = client.post(reverse("learning:certificate", args=[2030]))
    assert printed.status_code == 200 and 'data-autoprint="1"' in printed.content.decode()
    event = AuditEvent.objects.get(action="learning.certificate.print")
    assert event.changes["hours"] == {"new": "2.0"}

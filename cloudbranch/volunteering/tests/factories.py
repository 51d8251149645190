"""Test helpers of the volunteering app (shared by the areas; append only)."""


# --- matching area: model-level helpers (no services) ---------------------------------------------

import datetime as _m_datetime

from django.utils import timezone as _m_timezone


def make_service_post(unit, *, organizer=None, title="社区助老服务", area="community", content_type="elderly",
                      skills=(), status="open", created_at=None, place="社区服务中心"):  # fmt: skip
    """A ServicePost row (open by default) of ``unit``."""
    from cloudbranch.testing.factories import UserFactory
    from cloudbranch.volunteering.models import ServicePost

    return ServicePost.objects.create(
        unit=unit,
        title=title,
        area=area,
        content_type=content_type,
        place=place,
        skills=list(skills),
        status=status,
        organizer=organizer or UserFactory(),
        created_at=created_at or _m_timezone.now(),
    )


def make_shift(post, *, starts_at=None, hours=2, headcount=5, deadline=None, status="scheduled"):
    """A Shift of ``post``: starting in 3 days by default, sign-up open until one hour before."""
    from cloudbranch.volunteering.models import Shift

    starts_at = starts_at or _m_timezone.now() + _m_datetime.timedelta(days=3)
    return Shift.objects.create(
        post=post,
        starts_at=starts_at,
        ends_at=starts_at + _m_datetime.timedelta(hours=hours),
        headcount=headcount,
        signup_deadline=deadline or starts_at - _m_datetime.timedelta(hours=1),
        cancel_cutoff=starts_at - _m_datetime.timedelta(hours=2),
        status=status,
    )


def make_signup(shift, person, *, status="signed_up", hours=None, organizer_rating=None, member_rating=None):
    """A Signup row; ``status="confirmed"`` with ``hours`` for past service."""
    from cloudbranch.volunteering.models import Signup

    return Signup.objects.create(
        shift=shift,
        person=person,
        status=status,
        hours=hours,
        organizer_rating=organizer_rating,
        member_rating=member_rating,
        confirmed_at=_m_timezone.now() if status == "confirmed" else None,
    )


def make_profile(person, *, skills=(), free_slots=(), note=""):
    from cloudbranch.volunteering.models import VolunteerProfile

    return VolunteerProfile.objects.create(person=person, skills=list(skills), free_slots=list(free_slots), note=note)


def local_dt(year, month, day, hour=0, minute=0):
    """An aware datetime in the project's time zone (Asia/Shanghai)."""
    return _m_timezone.make_aware(_m_datetime.datetime(year, month, day, hour, minute))


# --- posts area: helpers going through the services -----------------------------------------------


def posts_member(unit, name="志愿者"):
    """A user with the member role at ``unit`` and their linked Person."""
    from cloudbranch.orgs.roles import Role
    from cloudbranch.testing.factories import PersonFactory, UserFactory, grant

    user = UserFactory(display_name=name)
    grant(user, unit, Role.MEMBER)
    person = PersonFactory(unit=unit, name=name, user=user)
    return user, person


def posts_open_post(
    actor, unit, *, headcount=2, starts_in=None, hours=2, shifts=1, deadline_before=None, cutoff_before=None, **fields
):
    """An open post of ``unit`` published by ``actor`` through the services, with ``shifts``
    consecutive shifts (returns ``(post, [shift, ...])``)."""
    from cloudbranch.volunteering import posts

    starts_in = starts_in or _m_datetime.timedelta(days=3)
    data = {"title": "校园迎新志愿服务", "area": "campus", "content_type": "order", "place": "东门"}
    data.update(fields)
    post = posts.post_create(actor=actor, unit_id=unit.pk, **data)
    start = _m_timezone.now().replace(microsecond=0) + starts_in
    made = []
    for i in range(shifts):
        s = start + _m_datetime.timedelta(hours=(hours + 1) * i)
        made.append(
            posts.shift_add(
                actor=actor,
                post_id=post.pk,
                starts_at=s,
                ends_at=s + _m_datetime.timedelta(hours=hours),
                headcount=headcount,
                signup_deadline=s - (_m_datetime.timedelta(hours=1) if deadline_before is None else deadline_before),
                cancel_cutoff=s - (_m_datetime.timedelta(hours=24) if cutoff_before is None else cutoff_before),
            )
        )
    posts.post_publish(actor=actor, post_id=post.pk)
    post.refresh_from_db()
    return post, made


# --- wishes and partnerships areas -----------------------------------------------------------------


def wish_member(unit, name="认领党员"):
    """A user with the member role at ``unit`` and their linked full-member Person."""
    from cloudbranch.orgs.roles import Role
    from cloudbranch.testing.factories import PersonFactory, UserFactory, grant

    user = UserFactory(display_name=name)
    grant(user, unit, Role.MEMBER)
    return user, PersonFactory(unit=unit, name=name, user=user)


def wish_open(actor, unit, **fields):
    """An open wish of ``unit`` entered by ``actor`` through the service."""
    from cloudbranch.volunteering import wishes

    data = {"title": "一套学习用品", "category": "study", "wisher_kind": "in_need", "wisher_name": "张小明",
            "wisher_contact": "13800001111", "wisher_note": "留守儿童"}  # fmt: skip
    data.update(fields)
    return wishes.wish_create(actor=actor, unit_id=unit.pk, **data)


def wish_png(size=(40, 30), fmt="PNG", exif=None) -> bytes:
    """Bytes of a small image (PNG by default; ``fmt="JPEG"`` with ``exif`` bytes to test stripping)."""
    import io

    from PIL import Image

    out = io.BytesIO()
    kwargs = {"exif": exif} if exif is not None else {}
    Image.new("RGB", size, (200, 30, 30)).save(out, format=fmt, **kwargs)
    return out.getvalue()


def partner_make(actor, unit, name="某社区党委", kind="community"):
    from cloudbranch.volunteering import partnerships

    return partnerships.partner_create(actor=actor, unit_id=unit.pk, name=name, kind=kind)


def partnership_make(
    actor, unit, partner=None, *, starts_on=None, ends_on=None, goals=("共同开展志愿服务", "联合主题党日")
):
    """An active partnership of ``unit`` (this year by default) through the service."""
    from cloudbranch.volunteering import partnerships

    today = _m_timezone.localdate()
    starts_on = starts_on or today.replace(month=1, day=1)
    ends_on = ends_on or today.replace(month=12, day=31)
    partner = partner or partner_make(actor, unit)
    return partnerships.partnership_create(
        actor=actor, unit_id=unit.pk, partner_id=partner.pk, title="社区共建", goals=list(goals),
        signed_on=starts_on, starts_on=starts_on, ends_on=ends_on,
    )  # fmt: skip

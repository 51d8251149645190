"""Volunteering demo data (issue 9 item 8) for the seeded demo tree.

``seed_service(root, seed=..., today=..., now=..., creator=..., demo=...)`` writes, once:

* **the showcase, through the real services** (``volunteering.posts`` / ``signups`` / ``checkin``
  / ``wishes`` / ``partnerships`` / ``profile``), so that every rule holds and every step is audited:
  secretary1's branch publishes 社区助老服务 with a shift a month ago (member1 signed up, checked in
  and out, hours confirmed with the organizer's rating, member1 rated the post back; the
  volunteering points are paid by ``point_award``) and a shift next week (member1 signed up); a
  draft post waits in the 管理 tab; the demo college's 图书馆志愿讲解 has a full shift where member1
  is on the waiting list; member1 has a volunteer profile. Micro-wishes of the branch in every state
  (open, claimed by member1, fulfilled with a photo waiting for the branch to confirm, confirmed,
  withdrawn). Partners (a community 党委, a village, an enterprise 党支部), partnerships with goals,
  joint activities linked to a held meeting and to a feed post of the branch where they exist, last
  year's summary, and one ended partnership.
* **volume, with bulk inserts**: one post per branch of the demo college and of a bounded sample of
  other branches, with two shifts held in the last months (members checked in, hours confirmed,
  some absent, ratings both ways) and one to come (sign-ups and a waiting list), volunteer profiles
  for a share of the members.

Deterministic for a seed, a day and a database; one audit row ``demo.seed.service`` holds the counts
(the showcase writes its own audit rows through the services).
"""

from __future__ import annotations

import datetime
import io
import random
import time
from collections import Counter
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile

from cloudbranch.audit.services import audit_record
from cloudbranch.meetings.choices import COUNTED_STATUSES
from cloudbranch.meetings.models import Meeting
from cloudbranch.news.models import Post as FeedPost
from cloudbranch.orgs.choices import BRANCH_KINDS, UnitStatus
from cloudbranch.orgs.models import OrgUnit
from cloudbranch.people.choices import PARTY_MEMBER_STATUSES, RosterStatus
from cloudbranch.people.models import Person
from cloudbranch.volunteering import checkin, partnerships, posts, profile, signups, wishes
from cloudbranch.volunteering.choices import (
    PostStatus,
    ShiftStatus,
    SignupStatus,
    Skill,
    TimeSlot,
)
from cloudbranch.volunteering.models import ServicePost, Shift, Signup, VolunteerProfile

from . import service_content as content

SERVICE_ACTION = "demo.seed.service"
OTHER_BRANCHES_MAX = 150  # branches outside the demo college with a post (keeps large scales fast)
OTHER_BRANCH_SHARE = 0.3
PROFILE_SHARE = 0.25
PROFILES_MAX = 4000
BATCH = 2000
LOGINS = ("admin", "college1", "secretary1", "secretary2", "member1", "collector1", "activist1")


def has_service(root: OrgUnit) -> bool:
    return ServicePost.objects.filter(unit__path__startswith=root.path).exists()


def wish_photo(index: int) -> bytes:
    """A small JPEG (a warm gradient with a caption when a CJK font exists) for a fulfilled wish."""
    from PIL import Image, ImageDraw

    from .news_demo import _font

    width, height = 640, 480
    top, bottom = ((230, 81, 0), (255, 224, 130)) if index % 2 else ((0, 121, 107), (178, 223, 219))
    mask = Image.linear_gradient("L").resize((width, height))
    img = Image.composite(Image.new("RGB", (width, height), bottom), Image.new("RGB", (width, height), top), mask)
    font = _font(44)
    if font is not None:
        ImageDraw.Draw(img).text((40, height - 110), "微心愿 · 已实现", font=font, fill=(255, 255, 255))
    out = io.BytesIO()
    img.save(out, "JPEG", quality=80)
    return out.getvalue()


class Seeder:
    def __init__(self, root, *, seed, today, now, creator, demo):
        self.root, self.today, self.now = root, today, now
        self.rng = random.Random(f"service:{seed}:{today.isoformat()}")
        self.tz = now.tzinfo
        self.counts: Counter = Counter()
        self.college, self.branch1, self.branch2 = demo.get("college"), demo.get("branch1"), demo.get("branch2")
        User = get_user_model()
        self.users = {u.username: u for u in User.objects.filter(username__in=LOGINS)}
        self.creator = User.objects.get(pk=creator)
        self.persons = {
            p.user.username: p for p in Person.objects.filter(user__username__in=LOGINS).select_related("user")
        }

    def user(self, name):
        return self.users.get(name) or self.creator

    def at(self, day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
        return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=self.tz)

    # --- volume --------------------------------------------------------------------------------
    def branches(self) -> list[OrgUnit]:
        units = list(
            OrgUnit.objects.filter(path__startswith=self.root.path, kind__in=BRANCH_KINDS, status=UnitStatus.ACTIVE)
            .order_by("path")
            .only("id", "path", "name")
        )
        college_path = self.college.path if self.college else None
        mine = [u for u in units if college_path and u.path.startswith(college_path)]
        others = [u for u in units if not (college_path and u.path.startswith(college_path))]
        others = [u for u in others if self.rng.random() < OTHER_BRANCH_SHARE][:OTHER_BRANCHES_MAX]
        return mine + others

    def volume(self) -> None:
        units = self.branches()
        unit_ids = [u.pk for u in units]
        members: dict[int, list[int]] = {}
        for pid, unit_id in (
            Person.objects.filter(
                unit_id__in=unit_ids, roster_status=RosterStatus.ACTIVE, political_status__in=PARTY_MEMBER_STATUSES
            )
            .exclude(user__username__in=LOGINS)
            .order_by("id")
            .values_list("id", "unit_id")
        ):
            members.setdefault(unit_id, []).append(pid)
        organizer = self.user("admin")
        plans = []
        for i, unit in enumerate(units):
            title, area, ctype, place, skills, description = content.POSTS[(i + 2) % len(content.POSTS)]
            created = self.at(self.today - datetime.timedelta(days=self.rng.randint(70, 120)), 9)
            post = ServicePost(
                unit=unit, title=title, area=area, content_type=ctype, place=place, skills=skills,
                description=description, contact=f"{unit.name}组织委员", status=PostStatus.OPEN,
                organizer=organizer, created_at=created,
            )  # fmt: skip
            plans.append(post)
        ServicePost.objects.bulk_create(plans, batch_size=BATCH)
        shifts, shift_members = [], []
        for post in plans:
            for days_ago, upcoming in (
                (self.rng.randint(35, 60), False),
                (self.rng.randint(5, 25), False),
                (None, True),
            ):
                day = (
                    self.today + datetime.timedelta(days=self.rng.randint(6, 20))
                    if upcoming
                    else self.today - datetime.timedelta(days=days_ago)
                )
                hour = self.rng.choice((8, 9, 14, 15))
                start = self.at(day, hour)
                shift = Shift(
                    post=post, starts_at=start, ends_at=start + datetime.timedelta(hours=self.rng.choice((2, 3, 4))),
                    headcount=self.rng.randint(3, 8), signup_deadline=start - datetime.timedelta(hours=12),
                    cancel_cutoff=start - datetime.timedelta(hours=24),
                    status=ShiftStatus.SCHEDULED if upcoming else ShiftStatus.DONE,
                )  # fmt: skip
                shifts.append(shift)
                shift_members.append(members.get(post.unit_id, []))
        Shift.objects.bulk_create(shifts, batch_size=BATCH)
        rows = []
        for shift, pool in zip(shifts, shift_members, strict=True):
            if not pool:
                continue
            upcoming = shift.status == ShiftStatus.SCHEDULED
            n = min(len(pool), shift.headcount + (self.rng.randint(0, 2) if upcoming else 0))
            for k, pid in enumerate(self.rng.sample(pool, n)):
                signed = shift.starts_at - datetime.timedelta(days=self.rng.randint(2, 10), hours=k)
                row = Signup(shift=shift, person_id=pid, signed_up_at=min(signed, self.now))
                if upcoming:
                    row.status = SignupStatus.SIGNED_UP if k < shift.headcount else SignupStatus.WAITLISTED
                elif self.rng.random() < 0.08:
                    row.status = SignupStatus.ABSENT
                else:
                    hours = (shift.ends_at - shift.starts_at).seconds // 3600
                    row.status = SignupStatus.CONFIRMED
                    row.checked_in_at = shift.starts_at - datetime.timedelta(minutes=self.rng.randint(0, 20))
                    row.checked_out_at = shift.ends_at + datetime.timedelta(minutes=self.rng.randint(0, 15))
                    row.hours = Decimal(hours)
                    row.confirmed_by = self.creator
                    row.confirmed_at = shift.ends_at + datetime.timedelta(hours=self.rng.randint(2, 30))
                    if self.rng.random() < 0.6:
                        row.organizer_rating = self.rng.choice((4, 5, 5))
                        row.organizer_comment = self.rng.choice(content.ORGANIZER_COMMENTS)
                    if self.rng.random() < 0.4:
                        row.member_rating = self.rng.choice((4, 5, 5, 3))
                        row.member_comment = self.rng.choice(content.MEMBER_COMMENTS)
                rows.append(row)
        Signup.objects.bulk_create(rows, batch_size=BATCH)
        self.counts["posts_bulk"] = len(plans)
        self.counts["shifts_bulk"] = len(shifts)
        self.counts["signups_bulk"] = len(rows)
        self.counts["hours_bulk"] = float(sum(r.hours or 0 for r in rows))
        self.profiles_bulk()

    def profiles_bulk(self) -> None:
        pool = list(
            Person.objects.filter(
                unit__path__startswith=self.root.path,
                roster_status=RosterStatus.ACTIVE,
                political_status__in=PARTY_MEMBER_STATUSES,
                volunteer_profile__isnull=True,
            )
            .exclude(user__username__in=LOGINS)
            .order_by("id")
            .values_list("id", flat=True)
        )
        chosen = [pid for pid in pool if self.rng.random() < PROFILE_SHARE][:PROFILES_MAX]
        skills, slots = Skill.values, TimeSlot.values
        rows = [
            VolunteerProfile(
                person_id=pid,
                skills=sorted(self.rng.sample(skills, self.rng.randint(1, 3))),
                free_slots=sorted(self.rng.sample(slots, self.rng.randint(2, 6))),
                note=self.rng.choice(content.PROFILE_NOTES),
            )
            for pid in chosen
        ]
        VolunteerProfile.objects.bulk_create(rows, batch_size=BATCH)
        self.counts["profiles_bulk"] = len(rows)

    # --- showcase through the services ---------------------------------------------------------
    def showcase_posts(self) -> None:
        if self.branch1 is None:
            return
        sec = self.user("secretary1")
        member = self.users.get("member1")
        past_day = self.today - datetime.timedelta(days=30)
        opened = self.at(past_day - datetime.timedelta(days=6), 10)
        title, area, ctype, place, skills, description = content.POSTS[0]
        post = posts.post_create(
            actor=sec, unit_id=self.branch1.pk, title=title, area=area, content_type=ctype, place=place,
            description=description, skills=skills, contact=f"{sec.display_name} 138-0000-0001",
        )  # fmt: skip
        past = posts.shift_add(
            actor=sec, post_id=post.pk, starts_at=self.at(past_day, 9), ends_at=self.at(past_day, 12), headcount=6,
            signup_deadline=self.at(past_day - datetime.timedelta(days=1), 18),
            cancel_cutoff=self.at(past_day - datetime.timedelta(days=1), 12),
        )  # fmt: skip
        next_day = self.today + datetime.timedelta(days=7)
        upcoming = posts.shift_add(
            actor=sec, post_id=post.pk, starts_at=self.at(next_day, 14), ends_at=self.at(next_day, 17), headcount=6,
            signup_deadline=self.at(next_day - datetime.timedelta(days=1), 18),
            cancel_cutoff=self.at(next_day - datetime.timedelta(days=1), 12),
        )  # fmt: skip
        ServicePost.objects.filter(pk=post.pk).update(created_at=opened)
        posts.post_publish(actor=sec, post_id=post.pk, now=opened)
        self.counts["showcase_posts"] += 1
        if member is not None:
            s = signups.signup(actor=member, shift_id=past.pk, now=opened + datetime.timedelta(hours=3))
            reason = "现场扫码网络不畅，组织者补录"
            checkin.manual_record(
                actor=sec, signup_id=s.pk, kind="in", reason=reason, at=past.starts_at - datetime.timedelta(minutes=10)
            )
            checkin.manual_record(
                actor=sec, signup_id=s.pk, kind="out", reason=reason, at=past.ends_at + datetime.timedelta(minutes=5)
            )
            signups.hours_confirm(
                actor=sec, signup_id=s.pk, rating=5, comment=content.ORGANIZER_COMMENTS[0],
                now=past.ends_at + datetime.timedelta(hours=3),
            )  # fmt: skip
            signups.member_rate(actor=member, signup_id=s.pk, rating=5, comment=content.MEMBER_COMMENTS[0])
            signups.signup(actor=member, shift_id=upcoming.pk)
            self.counts["showcase_signups"] += 2
        Shift.objects.filter(pk=past.pk).update(status=ShiftStatus.DONE)
        # A draft in the 管理 tab.
        title, area, ctype, place, skills, description = content.POSTS[4]
        draft = posts.post_create(
            actor=sec, unit_id=self.branch1.pk, title=title, area=area, content_type=ctype, place=place,
            description=description, skills=skills,
        )  # fmt: skip
        posts.shift_add(
            actor=sec, post_id=draft.pk, starts_at=self.at(self.today + datetime.timedelta(days=21), 9),
            ends_at=self.at(self.today + datetime.timedelta(days=21), 11), headcount=4,
        )  # fmt: skip
        self.counts["showcase_posts"] += 1
        # The college's post with a full shift: member1 on the waiting list.
        if self.college is not None:
            org = self.user("college1")
            title, area, ctype, place, skills, description = content.POSTS[1]
            cpost = posts.post_create(
                actor=org, unit_id=self.college.pk, title=title, area=area, content_type=ctype, place=place,
                description=description, skills=skills, contact="学院党委办公室 0571-8888 0000",
            )  # fmt: skip
            day = self.today + datetime.timedelta(days=10)
            full = posts.shift_add(
                actor=org, post_id=cpost.pk, starts_at=self.at(day, 9), ends_at=self.at(day, 11), headcount=2
            )
            posts.shift_add(
                actor=org, post_id=cpost.pk, starts_at=self.at(day + datetime.timedelta(days=7), 9),
                ends_at=self.at(day + datetime.timedelta(days=7), 11), headcount=4,
            )  # fmt: skip
            posts.post_publish(actor=org, post_id=cpost.pk)
            seated = list(
                Person.objects.filter(
                    unit__path__startswith=self.college.path, roster_status=RosterStatus.ACTIVE,
                    political_status__in=PARTY_MEMBER_STATUSES, user__isnull=True,
                ).order_by("id").values_list("id", flat=True)[:2]
            )  # fmt: skip
            Signup.objects.bulk_create(
                [
                    Signup(shift=full, person_id=pid, status=SignupStatus.SIGNED_UP, signed_up_at=self.now)
                    for pid in seated
                ]
            )
            if member is not None and len(seated) == 2:
                signups.signup(actor=member, shift_id=full.pk)
                self.counts["showcase_signups"] += 1
            self.counts["showcase_posts"] += 1
        if member is not None:
            profile.profile_update(
                actor=member, skills=[Skill.TEACHING, Skill.PHOTO, Skill.ORGANIZING],
                free_slots=[TimeSlot.SAT_AM, TimeSlot.SAT_PM, TimeSlot.WED_EV], note="周末时间比较充裕",
            )  # fmt: skip

    def showcase_wishes(self) -> None:
        if self.branch1 is None:
            return
        sec = self.user("secretary1")
        claimants = [self.users[n] for n in ("member1", "collector1") if n in self.users]
        deadline = self.today + datetime.timedelta(days=45)
        created = []
        for title, category, kind, name, note, description in content.WISHES:
            w = wishes.wish_create(
                actor=sec, unit_id=self.branch1.pk, title=title, category=category, wisher_kind=kind,
                wisher_name=name, wisher_note=note, description=description, deadline=deadline,
                wisher_contact="138****" + str(1000 + len(created)),
            )  # fmt: skip
            created.append(w)
        self.counts["wishes"] = len(created)
        if not claimants:
            return
        member, other = claimants[0], claimants[-1]
        # created[0]: fulfilled by member1 with a photo, waiting for the branch to confirm.
        # created[2]: confirmed (other claimant); created[3]: claimed by member1; created[5]: withdrawn.
        wishes.wish_claim(actor=member, wish_id=created[0].pk)
        wishes.wish_fulfil(
            actor=member, wish_id=created[0].pk, note=content.FULFIL_NOTES[0],
            photo=SimpleUploadedFile("wish-1.jpg", wish_photo(1), content_type="image/jpeg"),
        )  # fmt: skip
        wishes.wish_claim(actor=other, wish_id=created[2].pk)
        wishes.wish_fulfil(
            actor=other, wish_id=created[2].pk, note=content.FULFIL_NOTES[1],
            photo=SimpleUploadedFile("wish-2.jpg", wish_photo(2), content_type="image/jpeg"),
        )  # fmt: skip
        wishes.wish_confirm(actor=sec, wish_id=created[2].pk)
        wishes.wish_claim(actor=member, wish_id=created[3].pk)
        wishes.wish_withdraw(actor=sec, wish_id=created[5].pk, reason=content.WITHDRAW_REASON)

    def showcase_partnerships(self) -> None:
        unit = self.branch1
        if unit is None:
            return
        sec = self.user("secretary1")
        partners = []
        for name, kind, party_org, contact_name, phone, address in content.PARTNERS[:3]:
            partners.append(
                partnerships.partner_create(
                    actor=sec,
                    unit_id=unit.pk,
                    name=name,
                    kind=kind,
                    party_org=party_org,
                    contact_name=contact_name,
                    contact_phone=phone,
                    address=address,
                )  # fmt: skip
            )
        if self.college is not None:
            for name, kind, party_org, contact_name, phone, address in content.PARTNERS[3:]:
                partnerships.partner_create(
                    actor=self.user("college1"), unit_id=self.college.pk, name=name, kind=kind, party_org=party_org,
                    contact_name=contact_name, contact_phone=phone, address=address,
                )  # fmt: skip
        self.counts["partners"] = len(content.PARTNERS) if self.college else len(partners)
        year = self.today.year
        meetings = list(
            Meeting.objects.filter(unit=unit, status__in=COUNTED_STATUSES, ends_at__lte=self.now)
            .order_by("-ends_at")
            .values_list("id", "ends_at")[:3]
        )
        feed = list(FeedPost.objects.filter(unit=unit).order_by("-created_at").values_list("id", flat=True)[:3])
        made = []
        for i, (pidx, title, goals, agreement) in enumerate(content.PARTNERSHIPS):
            starts = datetime.date(year - 1, 3 + i, 1)
            p = partnerships.partnership_create(
                actor=sec, unit_id=unit.pk, partner_id=partners[pidx].pk, title=title, goals="\n".join(goals),
                agreement=agreement, signed_on=starts - datetime.timedelta(days=7), starts_on=starts,
                ends_on=datetime.date(year + 1, 12, 31),
            )  # fmt: skip
            made.append(p)
        activities = 0
        plan = {0: content.ACTIVITIES[:3], 1: content.ACTIVITIES[3:5], 2: content.ACTIVITIES[5:]}
        for i, p in enumerate(made):
            for k, (title, summary, participants, goal) in enumerate(plan[i]):
                held = self.today - datetime.timedelta(days=40 + 35 * k + 11 * i)
                link = {}
                if i == 0 and k < len(meetings):
                    link["meeting_id"] = meetings[k][0]
                    held = meetings[k][1].astimezone(self.tz).date()
                if i == 0 and k < len(feed):
                    link["post_id"] = feed[k]
                held = max(min(held, p.ends_on), p.starts_on)
                partnerships.activity_add(
                    actor=sec, partnership_id=p.pk, title=title, summary=summary, participants=participants,
                    goal_index=min(goal, len(p.goals) - 1), held_on=held.isoformat(), **link,
                )  # fmt: skip
                activities += 1
            # Last year's activity and summary.
            partnerships.activity_add(
                actor=sec, partnership_id=p.pk, title=f"{year - 1}年度共建交流会", participants=20, goal_index=0,
                summary="双方党组织回顾共建开展情况，商定下一年度共建计划。", held_on=datetime.date(year - 1, 12, 20).isoformat(),
            )  # fmt: skip
            activities += 1
            text = partnerships.summary_draft(p, year - 1)
            partnerships.summary_save(actor=sec, partnership_id=p.pk, year=year - 1, text=text)
            self.counts["summaries"] += 1
        partnerships.partnership_end(actor=sec, partnership_id=made[2].pk, reason=content.END_REASON)
        self.counts["partnerships"] = len(made)
        self.counts["activities"] = activities
        self.counts["activities_with_meeting"] = min(len(meetings), 3)
        self.counts["activities_with_post"] = min(len(feed), 3)


def seed_service(root: OrgUnit, *, seed: int, today, now, creator: int, demo: dict[str, OrgUnit]) -> dict:
    """Write the volunteering demo under ``root``; call inside a transaction. Returns counts."""
    started = time.monotonic()
    seeder = Seeder(root, seed=seed, today=today, now=now, creator=creator, demo=demo)
    seeder.volume()
    seeder.showcase_posts()
    seeder.showcase_wishes()
    seeder.showcase_partnerships()
    counts = dict(sorted(seeder.counts.items()))
    counts["seconds"] = round(time.monotonic() - started, 1)
    audit_record(actor=None, action=SERVICE_ACTION, target=root, changes={"seed": seed, **counts})
    return counts

"""Democracy and appraisal (SPEC §8): elections (换届选举) with secret ballots, the yearly
democratic appraisal of members (民主评议党员), and award nominations (评先评优).

Ballot secrecy is a property of the schema: ``Ballot`` has no column that refers to a voter,
a person or a user, no timestamp, and a random primary key; whether someone voted is recorded
separately (``VoteMark``), and the stored ballots are shuffled as they are cast (see
``voting/ballots.py``), so that not even the order of the rows follows the order of voting."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cloudbranch.orgs.models import OrgUnit
from cloudbranch.orgs.scoping import ScopedQuerySet
from cloudbranch.people.models import Person

from .choices import (
    AppraisalStatus,
    AwardKind,
    AwardRoundStatus,
    ElectionKind,
    ElectionStatus,
    Grade,
    NominationStatus,
    ReviewDecision,
    RoundKind,
    RoundStatus,
    UnqualifiedHandling,
    VoterExclusion,
)


class Election(models.Model):
    """One election of a unit (its committee, its secretary, or its delegates)."""

    scope_path = "unit__path"

    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+", verbose_name=_("选举单位"))
    kind = models.CharField(_("选举类型"), max_length=16, choices=ElectionKind.choices)
    title = models.CharField(_("名称"), max_length=120)
    seats = models.PositiveSmallIntegerField(_("应选名额"))
    surplus_ratio = models.DecimalField(
        _("差额比例"), max_digits=4, decimal_places=2, default=0.20, help_text=_("候选人多于应选人数的最低比例")
    )
    equal_election = models.BooleanField(_("等额选举"), default=False)
    equal_reason = models.CharField(_("等额选举依据"), max_length=200, blank=True)
    term_years = models.PositiveSmallIntegerField(_("任期（年）"), default=3)
    election_date = models.DateField(_("选举日期"))
    postponement_approval = models.CharField(
        _("延期或提前换届批复"), max_length=200, blank=True, help_text=_("任期届满前后超过期限换届时须写明上级批复")
    )
    status = models.CharField(_("状态"), max_length=16, choices=ElectionStatus.choices, default=ElectionStatus.DRAFT)
    roll_frozen_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(_("取消原因"), max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("选举")
        verbose_name_plural = _("选举")
        ordering = ["-election_date", "-id"]
        constraints = [models.CheckConstraint(condition=Q(seats__gte=1), name="voting_election_seats")]

    def __str__(self) -> str:
        return self.title


class Candidate(models.Model):
    scope_path = "election__unit__path"

    election = models.ForeignKey(Election, on_delete=models.CASCADE, related_name="candidates")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=0, help_text=_("按姓氏笔画排序"))
    introduction = models.CharField(_("简介"), max_length=300, blank=True)
    elected = models.BooleanField(_("当选"), default=False)
    elected_round = models.PositiveSmallIntegerField(null=True, blank=True)
    votes = models.PositiveIntegerField(_("当选票数"), null=True, blank=True)
    position = models.CharField(_("分工"), max_length=24, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("候选人")
        verbose_name_plural = _("候选人")
        ordering = ["sort_order", "id"]
        constraints = [models.UniqueConstraint(fields=["election", "person"], name="voting_candidate_once")]

    def __str__(self) -> str:
        return str(self.person)


class Voter(models.Model):
    """A person with the right to vote in an election, frozen when the roll is fixed: the
    unit's full members (正式党员) on that day — probationary members have no vote (党章 第七条).
    ``excluded`` voters (approved absentees) do not count among those who should attend."""

    scope_path = "election__unit__path"

    election = models.ForeignKey(Election, on_delete=models.CASCADE, related_name="voters")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    excluded = models.CharField(_("不计入应到人数"), max_length=16, choices=VoterExclusion.choices, blank=True)
    exclusion_note = models.CharField(_("批准情况"), max_length=200, blank=True)
    present = models.BooleanField(_("到会"), default=False)
    present_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("选举人")
        verbose_name_plural = _("选举人")
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["election", "person"], name="voting_voter_once")]


class Round(models.Model):
    """One vote: the first, a run-off between candidates tied at the last seat, or an additional
    election (另行选举) for seats left empty. ``present`` is fixed when the round opens and is the
    base of the majority (a winner needs more than half of the votes of those present)."""

    scope_path = "election__unit__path"

    election = models.ForeignKey(Election, on_delete=models.CASCADE, related_name="rounds")
    number = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=16, choices=RoundKind.choices)
    seats = models.PositiveSmallIntegerField(_("本轮应选"))
    candidates = models.ManyToManyField(Candidate, related_name="rounds")
    status = models.CharField(max_length=8, choices=RoundStatus.choices, default=RoundStatus.OPEN)
    entitled = models.PositiveIntegerField(_("应到人数"))
    present = models.PositiveIntegerField(_("实到人数"))
    ballots_cast = models.PositiveIntegerField(_("收回选票"), default=0)
    paper_ballots = models.PositiveIntegerField(_("纸质选票"), default=0)
    valid_ballots = models.PositiveIntegerField(_("有效选票"), default=0)
    result = models.JSONField(default=dict, blank=True)
    opened_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["number"]
        constraints = [models.UniqueConstraint(fields=["election", "number"], name="voting_round_once")]


class VoteMark(models.Model):
    """That a voter has voted in a round (on the phone, or handed in a paper ballot). Nothing
    here says which ballot is theirs."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="marks")
    voter = models.ForeignKey(Voter, on_delete=models.CASCADE, related_name="marks")
    paper = models.BooleanField(default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["round", "voter"], name="voting_vote_once")]


class Ballot(models.Model):
    """A secret ballot: the marks per candidate id ({"<candidate id>": "for"|"against"|"abstain"})
    and nothing else. No voter, no time, a random key (see the module docstring)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="ballots")
    marks = models.JSONField(default=dict)

    class Meta:
        ordering = ["id"]


class Tally(models.Model):
    """Votes per candidate in a closed round (counted from the ballots)."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="tallies")
    candidate = models.ForeignKey(Candidate, on_delete=models.CASCADE, related_name="tallies")
    votes_for = models.PositiveIntegerField(default=0)
    votes_against = models.PositiveIntegerField(default=0)
    abstentions = models.PositiveIntegerField(default=0)
    elected = models.BooleanField(default=False)

    class Meta:
        ordering = ["-votes_for", "candidate__sort_order", "candidate_id"]
        constraints = [models.UniqueConstraint(fields=["round", "candidate"], name="voting_tally_once")]


class Appraisal(models.Model):
    """A branch's democratic appraisal of members (民主评议党员) for one year."""

    scope_path = "unit__path"

    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+", verbose_name=_("党支部"))
    year = models.PositiveSmallIntegerField(_("年度"))
    status = models.CharField(
        _("阶段"), max_length=16, choices=AppraisalStatus.choices, default=AppraisalStatus.SELF_ASSESSMENT
    )
    excellent_cap_numerator = models.PositiveSmallIntegerField(default=1)
    excellent_cap_denominator = models.PositiveSmallIntegerField(default=3)
    meeting_on = models.DateField(_("支部大会日期"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("民主评议")
        verbose_name_plural = _("民主评议")
        ordering = ["-year", "unit__path"]
        constraints = [models.UniqueConstraint(fields=["unit", "year"], name="voting_appraisal_once")]


class AppraisalEntry(models.Model):
    """One member in an appraisal. Probationary members take part but are not graded
    (``graded`` False)."""

    scope_path = "appraisal__unit__path"

    appraisal = models.ForeignKey(Appraisal, on_delete=models.CASCADE, related_name="entries")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="appraisal_entries")
    graded = models.BooleanField(default=True)
    self_assessment = models.TextField(_("个人总结"), blank=True)
    self_submitted_at = models.DateTimeField(null=True, blank=True)
    proposed_grade = models.CharField(_("支委会意见"), max_length=16, choices=Grade.choices, blank=True)
    proposal_note = models.CharField(_("意见说明"), max_length=300, blank=True)
    final_grade = models.CharField(_("评定等次"), max_length=16, choices=Grade.choices, blank=True)
    handling = models.CharField(_("不合格处置"), max_length=16, choices=UnqualifiedHandling.choices, blank=True)
    handling_note = models.CharField(_("处置情况"), max_length=300, blank=True)
    handling_deadline = models.DateField(_("改正期限"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("评议对象")
        verbose_name_plural = _("评议对象")
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["appraisal", "person"], name="voting_entry_once")]


class AppraisalRating(models.Model):
    """One member's rating of another in the mutual rating (民主测评). Officers see totals per
    grade, never who rated whom."""

    entry = models.ForeignKey(AppraisalEntry, on_delete=models.CASCADE, related_name="ratings")
    rater = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    grade = models.CharField(max_length=16, choices=Grade.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["entry", "rater"], name="voting_rating_once")]


class AwardRound(models.Model):
    """An award round (评先评优) issued by a unit for its subtree: the award kinds with quotas,
    the nomination deadline and the public notice period."""

    scope_path = "unit__path"

    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+", verbose_name=_("组织单位"))
    year = models.PositiveSmallIntegerField(_("年度"))
    title = models.CharField(_("名称"), max_length=120)
    kinds = models.JSONField(_("表彰类别"), default=list)
    quotas = models.JSONField(_("名额"), default=dict, blank=True)
    nomination_deadline = models.DateField(_("推荐截止"))
    notice_days = models.PositiveSmallIntegerField(_("公示期（工作日）"), default=5)
    notice_starts_on = models.DateField(_("公示开始"), null=True, blank=True)
    notice_ends_on = models.DateField(_("公示结束"), null=True, blank=True)
    status = models.CharField(
        _("状态"), max_length=16, choices=AwardRoundStatus.choices, default=AwardRoundStatus.NOMINATING
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("评先评优")
        verbose_name_plural = _("评先评优")
        ordering = ["-year", "-id"]

    def __str__(self) -> str:
        return self.display_title

    @property
    def display_title(self) -> str:
        """The title with its year in front, unless the title already names the year."""
        return self.title if str(self.year) in self.title else f"{self.year}年度{self.title}"


class Nomination(models.Model):
    """A nomination from a unit below: a person (members, Party workers) or a unit (先进基层党组织).
    It climbs the tree: each unit between the nominating unit and the issuing unit reviews and
    forwards it (``pending_at``); the issuing unit's committee votes."""

    scope_path = "nominating_unit__path"

    round = models.ForeignKey(AwardRound, on_delete=models.CASCADE, related_name="nominations")
    kind = models.CharField(_("表彰类别"), max_length=24, choices=AwardKind.choices)
    nominating_unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    nominee_unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    deeds = models.TextField(_("主要事迹"))
    status = models.CharField(
        _("状态"), max_length=16, choices=NominationStatus.choices, default=NominationStatus.PENDING
    )
    pending_at = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    votes_for = models.PositiveSmallIntegerField(null=True, blank=True)
    votes_against = models.PositiveSmallIntegerField(null=True, blank=True)
    abstentions = models.PositiveSmallIntegerField(null=True, blank=True)
    voters_present = models.PositiveSmallIntegerField(null=True, blank=True)
    voters_entitled = models.PositiveSmallIntegerField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("推荐")
        verbose_name_plural = _("推荐")
        ordering = ["round_id", "kind", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(person__isnull=False) & Q(nominee_unit__isnull=True))
                | (Q(person__isnull=True) & Q(nominee_unit__isnull=False)),
                name="voting_nominee_person_xor_unit",
            ),
            models.UniqueConstraint(
                fields=["round", "kind", "person"], condition=Q(person__isnull=False), name="voting_nominee_person_once"
            ),
            models.UniqueConstraint(
                fields=["round", "kind", "nominee_unit"],
                condition=Q(nominee_unit__isnull=False),
                name="voting_nominee_unit_once",
            ),
        ]


class NominationReview(models.Model):
    nomination = models.ForeignKey(Nomination, on_delete=models.CASCADE, related_name="reviews")
    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    decision = models.CharField(max_length=16, choices=ReviewDecision.choices)
    comment = models.CharField(max_length=300, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "id"]


class Objection(models.Model):
    """An objection raised during the public notice (公示) and how it was handled."""

    nomination = models.ForeignKey(Nomination, on_delete=models.CASCADE, related_name="objections")
    text = models.TextField(_("反映内容"))
    raised_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    raised_at = models.DateTimeField(default=timezone.now)
    finding = models.TextField(_("核查结论"), blank=True)
    upheld = models.BooleanField(_("反映属实"), null=True, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    handled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["raised_at", "id"]

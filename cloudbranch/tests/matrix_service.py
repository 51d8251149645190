"""Objects of service and democracy for the permission matrix: everything belongs to branch_a1
(secretary1's branch), except the award round, which the university committee (admin) issues
and branch_a1 nominates to."""

import datetime

from django.utils import timezone


def service_objects(world) -> dict:
    """An open service post of branch_a1 with one shift and member1 signed up; an open micro-wish;
    a partner and a partnership of branch_a1."""
    from cloudbranch.volunteering.models import Signup
    from cloudbranch.volunteering.tests.factories import partnership_make, posts_open_post, wish_open

    sec = world.users["secretary1"]
    post, (shift,) = posts_open_post(sec, world.branch_a1, headcount=3)
    signup = Signup.objects.create(shift=shift, person=world.people["member1"], status="signed_up")
    wish = wish_open(sec, world.branch_a1)
    partnership = partnership_make(sec, world.branch_a1)
    by = {
        "post": (post.pk,),
        "shift": (shift.pk,),
        "signup": (signup.pk,),
        "wish": (wish.pk,),
        "partnership": (partnership.pk,),
    }
    names = {
        "post": ("post", "post_edit", "post_publish", "post_close", "shift_add", "post_match", "post_invite"),
        "shift": ("shift_roster", "shift_cancel", "signup", "hours_confirm_bulk", "checkin_screen", "checkin_qr"),
        "signup": (
            "signup_cancel",
            "hours_confirm",
            "signup_absent",
            "signup_manual",
            "signup_rate_volunteer",
            "signup_rate",
        ),
        "wish": (
            "wish",
            "wish_edit",
            "wish_claim",
            "wish_release",
            "wish_fulfil",
            "wish_confirm",
            "wish_send_back",
            "wish_withdraw",
            "wish_photo",
        ),
        "partnership": ("partnership", "partnership_edit", "partnership_end", "agreement_file", "activity_add"),
    }
    args = {f"volunteering:{n}": by[kind] for kind, group in names.items() for n in group}
    args["volunteering:summary"] = (partnership.pk, timezone.localdate().year)
    args["volunteering:partner_edit"] = (partnership.partner_id,)
    return args


def democracy_objects(world) -> dict:
    """A committee election of branch_a1 with its roll frozen (member1 is a voter), everyone
    present and the first round open; this year's appraisal of branch_a1; the university's award
    round with a nomination from branch_a1 and an objection to it."""
    from cloudbranch.voting import elections
    from cloudbranch.voting.models import AppraisalEntry, Objection, Voter
    from cloudbranch.voting.tests.factories import (
        appraisal_open,
        award_nominate,
        award_round,
        election_all_present,
        election_frozen,
    )

    sec, admin = world.users["secretary1"], world.users["admin"]
    election, _cands, _voters = election_frozen(sec, world.branch_a1, seats=1, candidates=2, extra_voters=1)
    election_all_present(sec, list(Voter.objects.filter(election=election)))
    rnd = elections.round_open(actor=sec, election=election)
    appraisal = appraisal_open(sec, world.branch_a1)
    entry = AppraisalEntry.objects.get(appraisal=appraisal, person=world.people["member1"])
    award = award_round(admin, world.root, nomination_deadline=timezone.localdate() + datetime.timedelta(days=7))
    nomination = award_nominate(sec, award, world.branch_a1, person=world.people["member1"])
    objection = Objection.objects.create(nomination=nomination, text="反映情况", raised_by=world.users["member1"])
    election_names = (
        "election",
        "election_edit",
        "election_cancel",
        "candidates",
        "roll",
        "roll_freeze",
        "voter_checkin",
        "round_open",
        "ballot",
        "paper_ballot",
        "result",
        "result_report",
        "result_approve",
    )
    appraisal_names = (
        "appraisal",
        "appraisal_advance",
        "appraisal_remind",
        "self_assessment",
        "rate",
        "proposal",
        "decision",
        "appraisal_export",
    )
    award_names = (
        "award_round",
        "award_advance",
        "nomination_create",
        "award_vote",
        "award_notice",
        "award_finalize",
        "award_list",
    )
    nomination_names = ("nomination", "nomination_review", "nomination_withdraw", "objection_add")
    return {
        **{f"voting:{n}": (election.pk,) for n in election_names},
        "voting:round_close": (rnd.pk,),
        **{f"voting:{n}": (appraisal.pk,) for n in appraisal_names},
        "voting:handling": (entry.pk,),
        **{f"voting:{n}": (award.pk,) for n in award_names},
        **{f"voting:{n}": (nomination.pk,) for n in nomination_names},
        "voting:objection_handle": (objection.pk,),
    }

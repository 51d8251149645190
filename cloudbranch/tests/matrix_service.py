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
        "shift": (
            "shift_roster",
            "shift_edit",
            "shift_cancel",
            "signup",
            "hours_confirm_bulk",
            "checkin_screen",
            "checkin_qr",
        ),
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


def school_objects(world) -> dict:
    """A running activists' class of the university (admin runs it and is its head teacher) with an
    offline session, an assignment, and member1 enrolled with one hour entry, a graded submission
    and a certificate: secretary1 follows member1 (school.view_enrolment over branch_a1),
    secretary2 sees nothing of it."""
    from django.core.files.base import ContentFile

    from cloudbranch.school.models import HourEntry
    from cloudbranch.school.tests.factories import (
        make_assignment,
        make_certificate,
        make_enrolment,
        make_running_class,
        make_session,
        make_submission,
    )

    admin = world.users["admin"]
    tc = make_running_class(world.root, head_teacher=admin, created_by=admin)
    session = make_session(tc)
    enrolment = make_enrolment(tc, world.people["member1"])
    HourEntry.objects.create(enrolment=enrolment, content_key=f"session:{session.pk}", source="offline", hours=2)
    assignment = make_assignment(tc)
    submission = make_submission(assignment, enrolment, status="submitted", score=None)
    submission.file.save("心得.pdf", ContentFile(b"%PDF-1.4"))
    certificate = make_certificate(enrolment)
    by_class = (
        "class",
        "class_edit",
        "class_advance",
        "session_create",
        "roster",
        "enrol_rule",
        "enrol_list",
        "enrol_add",
        "assignments",
        "assignment_create",
        "results",
        "class_finalize",
        "class_stats",
        "class_comments",
    )
    by_session = (
        "session_edit",
        "session_delete",
        "course_items",
        "session",
        "checkin_screen",
        "checkin_qr",
        "attendance",
        "evaluate",
    )
    by_enrolment = ("withdraw_request", "withdraw_decide", "hours", "hours_credit")
    return {
        **{f"school:{n}": (tc.pk,) for n in by_class},
        **{f"school:{n}": (session.pk,) for n in by_session},
        **{f"school:{n}": (enrolment.pk,) for n in by_enrolment},
        "school:assignment": (assignment.pk,),
        "school:submission_grade": (submission.pk,),
        "school:submission_file": (submission.pk,),
        **{f"school:{n}": (certificate.pk,) for n in ("certificate", "certificate_pdf", "certificate_revoke")},
        "school:verify": (certificate.code,),
    }


def tasks_objects(world) -> dict:
    """A task of the university issued to branch_a1 with an attachment; branch_a1's target has a
    completion report with an evidence file (submitted, waiting for review)."""
    from cloudbranch.worktasks import tasks
    from cloudbranch.worktasks.tests.factories import issue_task, pdf_file, target_of

    task = issue_task(world.users["admin"], world.root, [world.branch_a1], files=[pdf_file()])
    target = target_of(task, world.branch_a1)
    tasks.target_submit(
        actor=world.users["secretary1"], target_id=target.pk, text="已按要求完成。", files=[pdf_file("报送.pdf")]
    )
    evidence = target.reports.get().evidence.get()
    by_task = ("task", "task_edit", "task_issue", "task_cancel", "task_close", "task_export")
    by_target = ("target", "target_assign", "target_report", "target_submit", "target_review")
    return {
        **{f"worktasks:{n}": (task.pk,) for n in by_task},
        **{f"worktasks:{n}": (target.pk,) for n in by_target},
        "worktasks:attachment": (task.attachments.get().pk,),
        "worktasks:evidence": (evidence.pk,),
    }


def assessment_objects(world) -> dict:
    """The university's assessment set of branches in draft with one indicator."""
    from cloudbranch.assessment import services
    from cloudbranch.assessment.models import Score

    admin = world.users["admin"]
    year = timezone.localdate().year
    s = services.set_create(
        actor=admin, unit_id=world.root.pk, title="年度支部考核", year=year, period_kind="Y", quarter=None,
        unit_kinds=["branch"], template="empty",
    )  # fmt: skip
    indicator = services.indicator_add(
        actor=admin, set_id=s.pk, name="人工评价", metric_key="", rule="manual", params={}, max_score=5
    )
    services.set_advance(actor=admin, set_id=s.pk, action="start")
    score = Score.objects.get(indicator=indicator, unit=world.branch_a1)
    by_set = ("set", "set_copy", "set_advance", "indicator_add", "scores", "ranking", "export")
    return {
        **{f"assessment:{n}": (s.pk,) for n in by_set},
        **{f"assessment:{n}": (indicator.pk,) for n in ("indicator_edit", "indicator_delete")},
        "assessment:score_cell": (score.pk,),
        "assessment:unit_detail": (s.pk, world.branch_a1.pk),
    }


def paperwork_objects(world) -> dict:
    """Documents of branch_a1: an uploaded filing-form template, a case at the activist step with
    a public notice, an outgoing transfer whose letter is issued, a cash payment (receipt), the
    branch's ledger of 2026, and a pending document batch of the branch."""
    from cloudbranch.development.tests.factories import make_case
    from cloudbranch.paperwork import builders
    from cloudbranch.paperwork.models import DocumentBatch, DocumentTemplate
    from cloudbranch.paperwork.tests.test_documents import notice_of, outgoing_letter, receipt_entry

    admin = world.users["admin"]
    content = builders.default_template("filing_form")
    template = DocumentTemplate.objects.create(
        kind="filing_form",
        name="备案表（本校）",
        file_name="备案表.docx",
        content=content,
        size=len(content),
        sha256="0" * 64,
        version=1,
        uploaded_by=admin,
    )
    case = make_case(actor=admin, unit=world.branch_a1, upto="activist")
    batch = DocumentBatch.objects.create(
        kind="filing_form",
        unit=world.branch_a1,
        object_ids=[case.pk],
        total=1,
        created_by=world.users["secretary1"],
        expires_at=timezone.now() + datetime.timedelta(days=7),
    )
    by = {
        "template_activate": (template.pk,),
        "template_download": (template.pk,),
        "default_download": ("filing_form",),
        "filing_form": (case.pk,),
        "public_notice": (notice_of(case, world).pk,),
        "transfer_letter": (outgoing_letter(world).pk,),
        "ledger_cover": (world.branch_a1.pk, 2026),
        "dues_receipt": (receipt_entry(world).pk,),
        **{n: (batch.pk,) for n in ("batch_detail", "batch_progress", "batch_download")},
    }
    return {f"paperwork:{k}": v for k, v in by.items()}


def onboarding_objects(world) -> dict:
    """An invitation batch of branch_a1 sent by its secretary."""
    from cloudbranch.onboarding import services

    batch = services.invitation_batch_create(actor=world.users["secretary1"], unit_id=world.branch_a1.pk)
    return {f"onboarding:{n}": (batch.pk,) for n in ("batch_detail", "batch_rerun")}

"""Roles granted at a node of the tree, and the permissions each carries over that subtree.

Permissions are strings ``<app>.<action>_<model>`` (Django's convention), plus a few named
actions such as ``people.view_sensitive``. A role applies to the unit it is granted at and
everything below it.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ORG_ADMIN = "org_admin", _("组织部管理员")
    COMMITTEE_SECRETARY = "committee_secretary", _("党委（党总支）书记")
    BRANCH_SECRETARY = "branch_secretary", _("支部书记")
    ORGANIZATION_OFFICER = "organization_officer", _("组织委员")
    PUBLICITY_OFFICER = "publicity_officer", _("宣传委员")
    DISCIPLINE_OFFICER = "discipline_officer", _("纪检委员")
    STUDY_OFFICER = "study_officer", _("学习委员")
    FEE_COLLECTOR = "fee_collector", _("党费收缴员")
    MEMBER = "member", _("党员")
    APPLICANT = "applicant", _("入党申请人")


_READ_UNITS = {"orgs.view_orgunit"}
_READ_PEOPLE = {"people.view_person"}
_MANAGE_PEOPLE = _READ_PEOPLE | {
    "people.add_person",
    "people.change_person",
    "people.import_person",
    "people.export_person",
}

# Organizational life (meetings app).
_SEE_MEETINGS = {"meetings.view_meeting", "meetings.view_monthlytheme"}
_RUN_MEETINGS = _SEE_MEETINGS | {
    "meetings.add_meeting",
    "meetings.change_meeting",
    "meetings.view_talk",
    "meetings.add_talk",
    "meetings.view_compliance",
}
_PUBLISH_THEMES = {"meetings.add_monthlytheme"}

# Dues (fees app): the fee collector records; the secretary approves; reports for managers.
_SEE_DUES = {"fees.view_bill", "fees.view_duesbase", "fees.view_ledgerentry"}
_COLLECT_DUES = _SEE_DUES | {"fees.change_duesbase", "fees.add_ledgerentry", "fees.view_report"}
_APPROVE_DUES = _COLLECT_DUES | {"fees.approve_dues", "fees.view_arrearscase", "fees.change_arrearscase"}

# Member development, transfers, mobile members and thought reports (development app). The
# branch records steps; only the committee level approves admissions and confirmations.
_SEE_DEVELOPMENT = {
    "development.view_case",
    "development.view_transfer",
    "development.view_mobilerecord",
    "development.view_thoughtreport",
}
_RUN_DEVELOPMENT = _SEE_DEVELOPMENT | {
    "development.record_step",
    "development.add_transfer",
    "development.change_mobilerecord",
    "development.comment_thoughtreport",
}
_APPROVE_DEVELOPMENT = {"development.approve_step", "development.approve_transfer", "development.change_reportpolicy"}

# Learning: members study what units publish for them (by audience, not by grant); managers
# publish resources, assign study tasks, keep the question bank, set exams and contests, and
# read their units' study records and weak points. Points: managers read members' histories.
_PUBLISH_LEARNING = {"learning.view_resource", "learning.add_resource", "learning.change_resource"}
_RUN_LEARNING = _PUBLISH_LEARNING | {
    "learning.view_studytask",
    "learning.add_studytask",
    "learning.view_question",
    "learning.add_question",
    "learning.view_paper",
    "learning.add_paper",
    "learning.add_contest",
    "learning.view_report",
    "points.view_pointevent",
}
_ADMIN_POINTS = {"points.change_pointrule", "points.change_scorescheme"}

# Communication: the publicity officer writes and moderates; who approves a unit's articles is
# the unit's NewsPolicy (publicity officer and/or secretary). Members read by visibility and
# post to their own branch's feed without a grant.
_PUBLISH_NEWS = {
    "news.view_article",
    "news.add_article",
    "news.moderate_comment",
    "news.view_message",
    "news.reply_message",
}
_REVIEW_NEWS = _PUBLISH_NEWS | {"news.review_article", "news.change_newspolicy"}

# Service and co-building (volunteering app): units publish service posts and micro-wishes for
# their subtree, confirm volunteers' hours and keep partnerships. Members sign up, claim wishes
# and evaluate by being in the audience, not by a grant.
_RUN_SERVICE = {
    "volunteering.view_servicepost",
    "volunteering.add_servicepost",
    "volunteering.confirm_signup",
    "volunteering.view_wish",
    "volunteering.add_wish",
    "volunteering.view_partnership",
    "volunteering.add_partnership",
    "volunteering.view_report",
}

# Democracy and appraisal (voting app): a unit runs its own elections and appraisals and
# nominates for awards; upper units review nominations and issue award rounds. Members vote,
# rate and assess themselves as voters and appraisees, not by a grant.
_RUN_DEMOCRACY = {
    "voting.view_election",
    "voting.run_election",
    "voting.view_appraisal",
    "voting.run_appraisal",
    "voting.view_awardround",
    "voting.add_nomination",
}
# The unit above approves an election result (选举结果报上级党组织批准) and issues award rounds.
_ISSUE_AWARDS = {"voting.add_awardround", "voting.review_nomination", "voting.approve_election"}

# Online Party school (school app): the school committee or a college runs classes for its
# subtree; branch secretaries and organization officers follow their own people's enrolment.
# Students act as students (enrolment), a head teacher as the class's head teacher, not by grant.
_SEE_SCHOOL = {"school.view_trainingclass", "school.view_enrolment"}
_RUN_SCHOOL = _SEE_SCHOOL | {"school.add_trainingclass", "school.change_trainingclass", "school.view_report"}

# Tasks, cockpit and assessment: upper units issue tasks to their subtree and review them; every
# managing role handles its own unit's tasks and reads the cockpit and warnings of its subtree;
# the organization department and committee secretaries assess the units below them.
_HANDLE_TASKS = {"worktasks.view_tasktarget", "worktasks.handle_tasktarget"}
_ISSUE_TASKS = _HANDLE_TASKS | {
    "worktasks.view_assignedtask",
    "worktasks.add_assignedtask",
    "worktasks.review_tasktarget",
}
_SEE_COCKPIT = {"cockpit.view_cockpit", "cockpit.view_warning", "assessment.view_result"}
_RUN_ASSESSMENT = {"assessment.add_indicatorset", "assessment.score"}

# Official documents (paperwork app): managing roles generate documents in bulk for their subtree
# and read the template catalogue; only the organization department replaces the templates.
_RUN_PAPERWORK = {"paperwork.view_documenttemplate", "paperwork.add_documentbatch"}

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.ORG_ADMIN: frozenset(
        _READ_UNITS
        | {"orgs.add_orgunit", "orgs.change_orgunit", "orgs.view_roleassignment"}
        | _MANAGE_PEOPLE
        | {"people.view_sensitive"}
        | _RUN_MEETINGS
        | _PUBLISH_THEMES
        | _APPROVE_DUES
        | {"fees.reconcile"}
        | _RUN_DEVELOPMENT
        | _APPROVE_DEVELOPMENT
        | _RUN_LEARNING
        | _ADMIN_POINTS
        | _REVIEW_NEWS
        | {"news.change_sensitiveword"}
        | _RUN_SERVICE
        | _RUN_DEMOCRACY
        | _ISSUE_AWARDS
        | _RUN_SCHOOL
        | _ISSUE_TASKS
        | _SEE_COCKPIT
        | _RUN_ASSESSMENT
        | {"cockpit.recompute"}
        | _RUN_PAPERWORK
        | {"paperwork.change_documenttemplate"}
    ),
    Role.COMMITTEE_SECRETARY: frozenset(
        _READ_UNITS
        | {"orgs.add_orgunit", "orgs.change_orgunit", "orgs.view_roleassignment"}
        | _MANAGE_PEOPLE
        | _RUN_MEETINGS
        | _PUBLISH_THEMES
        | _APPROVE_DUES
        | _RUN_DEVELOPMENT
        | _APPROVE_DEVELOPMENT
        | _RUN_LEARNING
        | _REVIEW_NEWS
        | _RUN_SERVICE
        | _RUN_DEMOCRACY
        | _ISSUE_AWARDS
        | _RUN_SCHOOL
        | _ISSUE_TASKS
        | _SEE_COCKPIT
        | _RUN_ASSESSMENT
        | _RUN_PAPERWORK
    ),
    # A branch secretary approves transfers on the branch's side; admissions and confirmations
    # are approved by the committee above (development.approve_step).
    Role.BRANCH_SECRETARY: frozenset(
        _READ_UNITS
        | {"orgs.add_orgunit", "orgs.view_roleassignment"}
        | _MANAGE_PEOPLE
        | _RUN_MEETINGS
        | _APPROVE_DUES
        | _RUN_DEVELOPMENT
        | {"development.approve_transfer"}
        | _RUN_LEARNING
        | _REVIEW_NEWS
        | _RUN_SERVICE
        | _RUN_DEMOCRACY
        | _SEE_SCHOOL
        | _HANDLE_TASKS
        | _SEE_COCKPIT
        | _RUN_PAPERWORK
    ),
    Role.ORGANIZATION_OFFICER: frozenset(
        _READ_UNITS
        | _MANAGE_PEOPLE
        | _RUN_MEETINGS
        | _RUN_DEVELOPMENT
        | {"learning.view_studytask", "learning.view_report"}
        | _RUN_SERVICE
        | _RUN_DEMOCRACY
        | _SEE_SCHOOL
        | _HANDLE_TASKS
        | _SEE_COCKPIT
        | _RUN_PAPERWORK
    ),
    Role.PUBLICITY_OFFICER: frozenset(
        _READ_UNITS
        | _READ_PEOPLE
        | _SEE_MEETINGS
        | _PUBLISH_THEMES
        | _PUBLISH_LEARNING
        | _PUBLISH_NEWS
        | {"news.review_article"}
    ),
    Role.DISCIPLINE_OFFICER: frozenset(_READ_UNITS | _READ_PEOPLE | _SEE_MEETINGS | {"meetings.view_talk"}),
    Role.STUDY_OFFICER: frozenset(_READ_UNITS | _READ_PEOPLE | _SEE_MEETINGS | _RUN_LEARNING),
    Role.FEE_COLLECTOR: frozenset(_READ_UNITS | _READ_PEOPLE | _SEE_MEETINGS | _COLLECT_DUES),
    # A member sees their branch's public information and their own record (own record via
    # people.selectors.own_person, not via a subtree grant).
    # Members see their branch's meetings and themes; what they may do in a meeting (leave,
    # check-in, reading minutes) follows from being an invitee, not from a grant.
    Role.MEMBER: frozenset(_READ_UNITS | _SEE_MEETINGS),
    Role.APPLICANT: frozenset(_READ_UNITS),
}

# Roles that make someone responsible for a unit: their home page lists the unit with its warnings.
MANAGING_ROLES = frozenset({Role.ORG_ADMIN, Role.COMMITTEE_SECRETARY, Role.BRANCH_SECRETARY, Role.ORGANIZATION_OFFICER})

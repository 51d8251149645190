"""Every page × every role, in one table.

The objects live in branch_a1 (secretary1's branch). secretary2 holds the same role on the
sibling branch a2, so anything of a1 must be *not found* (404) for him, never "forbidden":
nobody learns what exists outside their subtrees. Visible but not allowed is 403. The three
platform duties see no Party data at all. Each case runs on a fresh world (built once, rolled back
to after every case), so a POST in one case cannot change what another sees.
"""

import pytest
from django.urls import URLResolver, get_resolver, reverse

from cloudbranch.audit.services import audit_record
from cloudbranch.notifications.models import Notification
from cloudbranch.notifications.services import notify
from cloudbranch.orgs.models import RoleAssignment
from cloudbranch.people.models import ImportJob
from cloudbranch.tests import matrix_service

ROLES = ("anonymous", "member1", "secretary1", "secretary2", "admin", "sysadmin", "secadmin", "auditor")

# (method, url name): expected status per role, in ROLES order.
MATRIX = {
    ("GET", "healthz"): (200, 200, 200, 200, 200, 200, 200, 200),
    ("GET", "core:home"): (302, 200, 200, 200, 200, 200, 200, 200),
    ("GET", "accounts:login"): (200, 302, 302, 302, 302, 302, 302, 302),
    ("POST", "accounts:logout"): (302, 302, 302, 302, 302, 302, 302, 302),
    ("GET", "accounts:profile"): (302, 200, 200, 200, 200, 200, 200, 200),
    ("GET", "accounts:password_change"): (302, 200, 200, 200, 200, 200, 200, 200),
    ("POST", "accounts:token_create"): (302, 422, 422, 422, 422, 422, 422, 422),
    ("POST", "accounts:token_revoke"): (302, 404, 404, 404, 404, 404, 404, 404),
    ("GET", "accounts:users"): (302, 403, 403, 403, 403, 200, 403, 403),
    ("GET", "accounts:user_create"): (302, 403, 403, 403, 403, 200, 403, 403),
    ("GET", "accounts:user_edit"): (302, 403, 403, 403, 403, 200, 403, 403),
    ("POST", "accounts:user_reset_password"): (302, 403, 403, 403, 403, 200, 403, 403),
    ("POST", "accounts:user_unlock"): (302, 403, 403, 403, 403, 302, 403, 403),
    ("POST", "accounts:user_set_duty"): (302, 403, 403, 403, 403, 302, 403, 403),
    ("GET", "orgs:tree"): (302, 200, 200, 200, 200, 403, 403, 403),
    ("GET", "orgs:unit_pick"): (302, 200, 200, 200, 200, 403, 403, 403),
    ("GET", "orgs:unit_detail"): (302, 200, 200, 404, 200, 404, 404, 404),
    ("GET", "orgs:tree_children"): (302, 200, 200, 404, 200, 404, 404, 404),
    ("GET", "orgs:unit_create"): (302, 403, 200, 404, 200, 404, 404, 404),
    ("GET", "orgs:unit_edit"): (302, 403, 403, 404, 200, 404, 404, 404),
    ("GET", "orgs:unit_move"): (302, 403, 403, 404, 200, 404, 404, 404),
    ("GET", "orgs:unit_merge"): (302, 403, 403, 404, 200, 404, 404, 404),
    ("GET", "orgs:unit_dissolve"): (302, 403, 403, 404, 200, 404, 404, 404),
    ("GET", "orgs:roles"): (302, 403, 403, 403, 403, 403, 200, 403),
    ("POST", "orgs:role_grant"): (302, 403, 403, 403, 403, 403, 422, 403),
    ("POST", "orgs:role_revoke"): (302, 403, 403, 403, 403, 403, 302, 403),
    ("GET", "people:list"): (302, 403, 200, 200, 200, 403, 403, 403),
    ("GET", "people:create"): (302, 403, 200, 200, 200, 403, 403, 403),
    ("GET", "people:own"): (302, 200, 404, 404, 404, 404, 404, 404),
    ("GET", "people:export"): (302, 403, 200, 200, 200, 403, 403, 403),
    ("GET", "people:warnings"): (302, 403, 200, 200, 200, 403, 403, 403),
    ("GET", "people:unit_picker"): (302, 403, 200, 200, 200, 403, 403, 403),
    ("GET", "people:unit_summary"): (302, 200, 200, 404, 200, 404, 404, 404),
    ("GET", "people:committee"): (302, 200, 200, 404, 200, 404, 404, 404),
    ("POST", "people:committee_end"): (302, 404, 404, 404, 404, 404, 404, 404),
    ("GET", "people:detail"): (302, 404, 200, 404, 200, 404, 404, 404),
    ("GET", "people:edit"): (302, 404, 200, 404, 200, 404, 404, 404),
    ("POST", "people:reveal_id"): (302, 404, 403, 404, 200, 404, 404, 404),
    ("GET", "people_import:start"): (302, 403, 200, 200, 200, 403, 403, 403),
    ("GET", "people_import:template"): (302, 403, 200, 200, 200, 403, 403, 403),
    ("GET", "people_import:job"): (302, 403, 200, 404, 404, 403, 403, 403),
    ("GET", "people_import:job_progress"): (302, 403, 200, 404, 404, 403, 403, 403),
    ("POST", "people_import:confirm"): (302, 403, 409, 404, 404, 403, 403, 403),
    ("POST", "people_import:discard"): (302, 403, 409, 404, 404, 403, 403, 403),
    ("POST", "people_import:undo"): (302, 403, 409, 404, 404, 403, 403, 403),
    # Login security: every user manages their own second factor, sessions and login history;
    # the security administrator reads everyone's logins and resets a lost second factor.
    ("GET", "accounts:otp_settings"): (302, 200, 200, 200, 200, 200, 200, 200),
    ("GET", "accounts:otp_verify"): (302, 302, 302, 302, 302, 302, 302, 302),
    ("GET", "accounts:otp_setup"): (302, 200, 200, 200, 200, 200, 200, 200),
    ("POST", "accounts:otp_remove"): (302, 302, 302, 302, 302, 302, 302, 302),
    ("POST", "accounts:otp_recovery_codes"): (302, 302, 302, 302, 302, 302, 302, 302),
    ("GET", "accounts:sessions"): (302, 200, 200, 200, 200, 200, 200, 200),
    ("POST", "accounts:session_end"): (302, 404, 404, 404, 404, 404, 404, 404),
    ("POST", "accounts:sessions_end_others"): (302, 302, 302, 302, 302, 302, 302, 302),
    ("GET", "accounts:logins"): (302, 200, 200, 200, 200, 200, 200, 200),
    ("GET", "accounts:security_logins"): (302, 403, 403, 403, 403, 403, 200, 403),
    ("GET", "accounts:security_otp"): (302, 403, 403, 403, 403, 403, 200, 403),
    ("POST", "accounts:otp_reset"): (302, 403, 403, 403, 403, 403, 302, 403),
    # Single sign-on is off in the tests: its pages do not exist.
    ("GET", "sso:login"): (404, 404, 404, 404, 404, 404, 404, 404),
    ("GET", "sso:callback"): (404, 404, 404, 404, 404, 404, 404, 404),
    ("GET", "sso:logged_out"): (404, 404, 404, 404, 404, 404, 404, 404),
    # Account activation and password reset are for anyone; the steps after the first go back
    # to it without a flow in the session. Invitations: officials who manage people.
    ("GET", "onboarding:start"): (200, 200, 200, 200, 200, 200, 200, 200),
    ("GET", "onboarding:code"): (302, 302, 302, 302, 302, 302, 302, 302),
    ("GET", "onboarding:password"): (302, 302, 302, 302, 302, 302, 302, 302),
    ("GET", "onboarding:reset"): (200, 200, 200, 200, 200, 200, 200, 200),
    ("GET", "onboarding:reset_confirm"): (302, 302, 302, 302, 302, 302, 302, 302),
    ("GET", "onboarding:invitations"): (302, 403, 200, 200, 200, 403, 403, 403),
    ("POST", "onboarding:invitation_send"): (302, 403, 302, 302, 302, 403, 403, 403),
    ("GET", "onboarding:batch_detail"): (302, 403, 200, 404, 200, 403, 403, 403),
    ("POST", "onboarding:batch_rerun"): (302, 403, 302, 404, 302, 403, 403, 403),
    # Official documents: templates are the organization department's; a document of an object
    # follows that object's own access (a sibling's is not found).
    ("GET", "paperwork:index"): (302, 403, 200, 200, 200, 403, 403, 403),
    ("GET", "paperwork:fields"): (302, 403, 200, 200, 200, 403, 403, 403),
    ("GET", "paperwork:batch_create"): (302, 403, 200, 200, 200, 403, 403, 403),
    ("POST", "paperwork:template_upload"): (302, 403, 403, 403, 422, 403, 403, 403),
    ("POST", "paperwork:template_activate"): (302, 403, 403, 403, 302, 403, 403, 403),
    ("GET", "paperwork:template_download"): (302, 403, 200, 200, 200, 403, 403, 403),
    ("GET", "paperwork:default_download"): (302, 403, 200, 200, 200, 403, 403, 403),
    ("GET", "paperwork:filing_form"): (302, 404, 200, 404, 200, 404, 404, 404),
    ("GET", "paperwork:public_notice"): (302, 404, 200, 404, 200, 404, 404, 404),
    ("GET", "paperwork:transfer_letter"): (302, 404, 200, 404, 200, 404, 404, 404),
    ("GET", "paperwork:ledger_cover"): (302, 403, 200, 404, 200, 404, 404, 404),
    ("GET", "paperwork:dues_receipt"): (302, 404, 200, 404, 200, 404, 404, 404),
    ("GET", "paperwork:batch_detail"): (302, 403, 200, 404, 200, 403, 403, 403),
    ("GET", "paperwork:batch_progress"): (302, 403, 200, 404, 200, 403, 403, 403),
    ("GET", "paperwork:batch_download"): (302, 403, 409, 404, 409, 403, 403, 403),
    ("GET", "audit:list"): (302, 403, 403, 403, 403, 403, 403, 200),
    ("GET", "audit:detail"): (302, 403, 403, 403, 403, 403, 403, 200),
    ("GET", "audit:export"): (302, 403, 403, 403, 403, 403, 403, 200),
    ("GET", "audit:export_jsonl"): (302, 403, 403, 403, 403, 403, 403, 200),
    ("GET", "audit:integrity"): (302, 403, 403, 403, 403, 403, 403, 200),
    ("POST", "audit:verify"): (302, 403, 403, 403, 403, 403, 403, 200),
    ("GET", "notifications:inbox"): (302, 200, 200, 200, 200, 200, 200, 200),
    ("GET", "notifications:badge"): (302, 200, 200, 200, 200, 200, 200, 200),
    ("GET", "notifications:preferences"): (302, 200, 200, 200, 200, 200, 200, 200),
    ("POST", "notifications:mark_all_read"): (302, 302, 302, 302, 302, 302, 302, 302),
    ("POST", "notifications:open"): (302, 404, 302, 404, 404, 404, 404, 404),
    # Organizational life. The meeting is a scheduled meeting of branch_a1 with member1 and
    # a1_other invited (not yet present): member1 sees it and its records panel, but not the
    # minutes' printout or attachments, and cannot act as host.
    ("GET", "meetings:list"): (302, 200, 200, 200, 200, 403, 403, 403),
    ("GET", "meetings:create"): (302, 403, 200, 200, 200, 403, 403, 403),
    ("GET", "meetings:form_parts"): (302, 403, 200, 200, 200, 403, 403, 403),
    ("GET", "meetings:themes"): (302, 200, 200, 200, 200, 403, 403, 403),
    ("POST", "meetings:theme_create"): (302, 403, 403, 403, 422, 403, 403, 403),
    ("GET", "meetings:detail"): (302, 200, 200, 404, 200, 404, 404, 404),
    ("GET", "meetings:edit"): (302, 403, 200, 404, 200, 404, 404, 404),
    ("POST", "meetings:schedule"): (302, 403, 409, 404, 409, 404, 404, 404),
    ("POST", "meetings:cancel"): (302, 403, 422, 404, 422, 404, 404, 404),
    ("POST", "meetings:mark_held"): (302, 403, 409, 404, 409, 404, 404, 404),
    ("POST", "meetings:archive"): (302, 403, 409, 404, 409, 404, 404, 404),
    ("GET", "meetings:my_meetings"): (302, 200, 200, 200, 200, 200, 200, 200),
    ("GET", "meetings:checkin"): (302, 200, 200, 200, 200, 200, 200, 200),
    ("GET", "meetings:attendance_panel"): (302, 200, 200, 404, 200, 404, 404, 404),
    ("GET", "meetings:checkin_screen"): (302, 403, 200, 404, 200, 404, 404, 404),
    ("GET", "meetings:checkin_qr"): (302, 403, 200, 404, 200, 404, 404, 404),
    ("POST", "meetings:leave_request"): (302, 302, 302, 404, 302, 404, 404, 404),
    ("POST", "meetings:leave_decide"): (302, 403, 302, 404, 302, 404, 404, 404),
    ("POST", "meetings:mark_attendance"): (302, 403, 302, 404, 302, 404, 404, 404),
    ("GET", "meetings:records_panel"): (302, 200, 200, 404, 200, 404, 404, 404),
    ("POST", "meetings:minutes_save"): (302, 403, 302, 404, 302, 404, 404, 404),
    ("POST", "meetings:amendment_add"): (302, 403, 409, 404, 409, 404, 404, 404),
    ("POST", "meetings:attachment_upload"): (302, 403, 422, 404, 422, 404, 404, 404),
    ("GET", "meetings:print"): (302, 403, 200, 404, 200, 404, 404, 404),
    ("GET", "meetings:attachment"): (302, 403, 200, 404, 200, 404, 404, 404),
    ("POST", "meetings:attachment_delete"): (302, 403, 302, 404, 302, 404, 404, 404),
    ("GET", "meetings:talks"): (302, 403, 200, 200, 200, 403, 403, 403),
    ("GET", "meetings:talk_create"): (302, 403, 200, 200, 200, 403, 403, 403),
    ("GET", "meetings:ledger"): (302, 403, 200, 404, 200, 403, 403, 403),
    ("GET", "meetings:ledger_export"): (302, 403, 200, 404, 200, 403, 403, 403),
    ("GET", "meetings:compliance"): (302, 403, 200, 200, 200, 403, 403, 403),
    ("GET", "meetings:calendar"): (302, 403, 200, 404, 200, 404, 404, 404),
    # Dues. Objects: a declared base, an open bill and a cash payment of a1_other, and member1's
    # own open bill with an online order. A member sees his own dues only.
    ("GET", "fees:bases"): (302, 200, 200, 200, 200, 403, 403, 403),
    ("GET", "fees:base_declare"): (302, 200, 200, 200, 200, 403, 403, 403),
    ("POST", "fees:base_import"): (302, 403, 302, 302, 302, 403, 403, 403),
    ("GET", "fees:base_imports"): (302, 403, 200, 200, 200, 403, 403, 403),
    ("GET", "fees:base_import_job"): (302, 404, 200, 404, 404, 404, 404, 404),
    ("POST", "fees:base_import_confirm"): (302, 404, 409, 404, 404, 404, 404, 404),
    ("POST", "fees:base_import_discard"): (302, 404, 302, 404, 404, 404, 404, 404),
    ("POST", "fees:base_import_undo"): (302, 404, 409, 404, 404, 404, 404, 404),
    ("POST", "fees:base_decide"): (302, 404, 302, 404, 302, 404, 404, 404),
    ("GET", "fees:bills"): (302, 403, 200, 200, 200, 403, 403, 403),
    ("POST", "fees:bill_generate"): (302, 403, 302, 302, 302, 403, 403, 403),
    ("POST", "fees:bill_exempt"): (302, 404, 302, 404, 302, 404, 404, 404),
    ("GET", "fees:my_dues"): (302, 200, 200, 200, 200, 200, 200, 200),
    ("POST", "fees:pay"): (302, 422, 422, 422, 422, 422, 422, 422),
    ("GET", "fees:order"): (302, 200, 404, 404, 404, 404, 404, 404),
    ("GET", "fees:sandbox_checkout"): (302, 200, 404, 404, 404, 404, 404, 404),
    ("POST", "fees:callback"): (400, 400, 400, 400, 400, 400, 400, 400),
    ("GET", "fees:receipt"): (302, 404, 200, 404, 200, 404, 404, 404),
    ("POST", "fees:reverse"): (302, 404, 302, 404, 302, 404, 404, 404),
    ("GET", "fees:offline"): (302, 403, 200, 200, 200, 403, 403, 403),
    ("GET", "fees:entries"): (302, 403, 200, 200, 200, 403, 403, 403),
    ("GET", "fees:report"): (302, 403, 200, 200, 200, 403, 403, 403),
    ("GET", "fees:report_export"): (302, 403, 200, 200, 200, 403, 403, 403),
    ("GET", "fees:arrears"): (302, 403, 200, 200, 200, 403, 403, 403),
    ("POST", "fees:arrears_decide"): (302, 404, 422, 404, 422, 404, 404, 404),
    ("GET", "fees:reconcile"): (302, 403, 403, 403, 200, 403, 403, 403),
    # Learning and points. The objects belong to branch_a1 (see learning_objects). Members act on
    # what is published for their unit and on their own attempts, quizzes and duels; the platform
    # duties and managers without a person record get no member pages (403/404). member1's daily
    # quiz is a 422: the fixture's bank has one question, the quiz needs five.
    ("GET", "learning:attempt"): (302, 200, 404, 404, 404, 404, 404, 404),
    ("GET", "learning:attempt_result"): (302, 302, 302, 404, 302, 404, 404, 404),
    ("GET", "learning:certificate"): (302, 200, 403, 403, 403, 403, 403, 403),
    ("GET", "learning:contest"): (302, 200, 200, 404, 200, 404, 404, 404),
    ("GET", "learning:contest_board"): (302, 200, 200, 404, 200, 404, 404, 404),
    ("GET", "learning:contest_create"): (302, 403, 200, 200, 200, 403, 403, 403),
    ("GET", "learning:contest_play"): (302, 302, 403, 403, 403, 403, 403, 403),
    ("GET", "learning:contests"): (302, 200, 200, 200, 200, 200, 200, 200),
    ("GET", "learning:daily"): (302, 422, 403, 403, 403, 403, 403, 403),
    ("GET", "learning:duel"): (302, 200, 403, 403, 403, 403, 403, 403),
    ("GET", "learning:duel_create"): (302, 200, 403, 403, 403, 403, 403, 403),
    ("GET", "learning:duel_state"): (302, 200, 403, 403, 403, 403, 403, 403),
    ("GET", "learning:duels"): (302, 200, 403, 403, 403, 403, 403, 403),
    ("GET", "learning:home"): (302, 200, 302, 302, 302, 403, 403, 403),
    ("GET", "learning:mastery"): (302, 200, 403, 403, 403, 403, 403, 403),
    ("GET", "learning:my_exams"): (302, 200, 200, 200, 200, 200, 200, 200),
    ("GET", "learning:my_study"): (302, 200, 403, 403, 403, 403, 403, 403),
    ("GET", "learning:my_tasks"): (302, 200, 200, 200, 200, 200, 200, 200),
    ("GET", "learning:paper"): (302, 404, 200, 404, 200, 404, 404, 404),
    ("GET", "learning:paper_create"): (302, 403, 200, 200, 200, 403, 403, 403),
    ("GET", "learning:paper_edit"): (302, 404, 200, 404, 200, 404, 404, 404),
    ("GET", "learning:papers"): (302, 403, 200, 200, 200, 403, 403, 403),
    ("GET", "learning:practice"): (302, 200, 403, 403, 403, 403, 403, 403),
    ("GET", "learning:question_create"): (302, 403, 200, 200, 200, 403, 403, 403),
    ("GET", "learning:question_edit"): (302, 404, 200, 404, 200, 404, 404, 404),
    ("GET", "learning:question_export"): (302, 403, 200, 200, 200, 403, 403, 403),
    ("GET", "learning:question_import"): (302, 403, 200, 200, 200, 403, 403, 403),
    ("GET", "learning:question_import_job"): (302, 403, 200, 404, 404, 403, 403, 403),
    ("POST", "learning:question_import_confirm"): (302, 403, 409, 404, 404, 403, 403, 403),
    ("POST", "learning:question_import_discard"): (302, 403, 409, 404, 404, 403, 403, 403),
    ("POST", "learning:question_import_undo"): (302, 403, 409, 404, 404, 403, 403, 403),
    ("GET", "learning:question_template"): (302, 403, 200, 200, 200, 403, 403, 403),
    ("GET", "learning:questions"): (302, 403, 200, 200, 200, 403, 403, 403),
    ("GET", "learning:resource"): (302, 200, 200, 404, 200, 404, 404, 404),
    ("GET", "learning:resource_create"): (302, 403, 200, 200, 200, 403, 403, 403),
    ("GET", "learning:resource_edit"): (302, 404, 200, 404, 200, 404, 404, 404),
    ("GET", "learning:resource_file"): (302, 404, 404, 404, 404, 404, 404, 404),
    ("GET", "learning:resource_manage"): (302, 403, 200, 200, 200, 403, 403, 403),
    ("GET", "learning:resources"): (302, 200, 200, 200, 200, 403, 403, 403),
    ("GET", "learning:task"): (302, 404, 200, 404, 200, 404, 404, 404),
    ("GET", "learning:task_create"): (302, 403, 200, 200, 200, 403, 403, 403),
    ("GET", "learning:task_export"): (302, 404, 200, 404, 200, 404, 404, 404),
    ("GET", "learning:tasks"): (302, 403, 200, 200, 200, 403, 403, 403),
    ("GET", "learning:topic"): (302, 200, 200, 404, 200, 404, 404, 404),
    ("GET", "learning:topic_create"): (302, 403, 200, 200, 200, 403, 403, 403),
    ("GET", "learning:topic_edit"): (302, 404, 200, 404, 200, 404, 404, 404),
    ("GET", "learning:topic_manage"): (302, 403, 200, 200, 200, 403, 403, 403),
    ("GET", "learning:topics"): (302, 200, 200, 200, 200, 403, 403, 403),
    ("GET", "learning:unit_weak"): (302, 403, 200, 404, 200, 403, 403, 403),
    ("GET", "learning:wrong_review"): (302, 200, 403, 403, 403, 403, 403, 403),
    ("GET", "learning:wrongbook"): (302, 200, 403, 403, 403, 403, 403, 403),
    ("GET", "points:mine"): (302, 200, 404, 404, 404, 404, 404, 404),
    ("GET", "points:ranking"): (302, 200, 200, 404, 200, 404, 404, 404),
    ("GET", "points:rules"): (302, 403, 403, 403, 200, 403, 403, 403),
    ("GET", "points:scores"): (302, 403, 200, 404, 200, 403, 403, 403),
    ("GET", "points:scores_export"): (302, 403, 200, 404, 200, 403, 403, 403),
    ("POST", "learning:attempt_save"): (302, 422, 404, 404, 404, 404, 404, 404),
    ("POST", "learning:attempt_submit"): (302, 302, 404, 404, 404, 404, 404, 404),
    ("POST", "learning:contest_answer"): (302, 302, 403, 403, 403, 403, 403, 403),
    ("POST", "learning:contest_enter"): (302, 302, 403, 403, 403, 403, 403, 403),
    ("POST", "learning:daily_answer"): (302, 422, 403, 403, 403, 403, 403, 403),
    ("POST", "learning:duel_accept"): (302, 403, 403, 403, 403, 403, 403, 403),
    ("POST", "learning:duel_answer"): (302, 422, 403, 403, 403, 403, 403, 403),
    ("POST", "learning:duel_decline"): (302, 403, 403, 403, 403, 403, 403, 403),
    ("POST", "learning:exam_start"): (302, 302, 404, 404, 404, 404, 404, 404),
    ("POST", "learning:heartbeat"): (302, 200, 403, 404, 403, 404, 404, 404),
    ("POST", "learning:paper_close"): (302, 404, 302, 404, 302, 404, 404, 404),
    ("POST", "learning:paper_publish"): (302, 404, 302, 404, 302, 404, 404, 404),
    ("POST", "learning:paper_questions"): (302, 404, 302, 404, 302, 404, 404, 404),
    ("POST", "learning:paper_withdraw"): (302, 404, 302, 404, 302, 404, 404, 404),
    ("POST", "learning:question_status"): (302, 404, 302, 404, 302, 404, 404, 404),
    ("POST", "learning:resource_publish"): (302, 404, 409, 404, 409, 404, 404, 404),
    ("POST", "learning:resource_withdraw"): (302, 404, 302, 404, 302, 404, 404, 404),
    ("POST", "learning:task_cancel"): (302, 404, 422, 404, 422, 404, 404, 404),
    ("POST", "learning:task_close"): (302, 404, 302, 404, 302, 404, 404, 404),
    ("POST", "learning:topic_items"): (302, 404, 422, 404, 422, 404, 404, 404),
    # Communication. The notice is branch_a1's (published, to be read), the post and the message
    # member1's; the portal pages (public:) answer everyone, the root's public board is closed.
    # A published article is not edited (302 back to it with the message).
    ("GET", "news:article"): (302, 200, 200, 404, 200, 404, 404, 404),
    ("GET", "news:article_cover"): (302, 404, 404, 404, 404, 404, 404, 404),
    ("GET", "news:article_create"): (302, 403, 200, 200, 200, 403, 403, 403),
    ("GET", "news:article_edit"): (302, 404, 302, 404, 403, 404, 404, 404),
    ("GET", "news:article_receipts"): (302, 404, 200, 404, 200, 404, 404, 404),
    ("GET", "news:articles"): (302, 200, 200, 200, 200, 200, 200, 200),
    ("GET", "news:attachment"): (302, 200, 200, 404, 200, 404, 404, 404),
    ("GET", "news:board"): (302, 200, 200, 200, 200, 200, 200, 200),
    ("GET", "news:board_captcha"): (200, 200, 200, 200, 200, 200, 200, 200),
    ("GET", "news:board_manage"): (302, 403, 200, 200, 200, 403, 403, 403),
    ("GET", "news:board_stats"): (302, 403, 200, 200, 200, 403, 403, 403),
    ("GET", "news:board_units"): (302, 200, 200, 200, 200, 200, 200, 200),
    ("GET", "news:comments"): (302, 404, 404, 404, 404, 404, 404, 404),
    ("GET", "news:feed"): (302, 200, 200, 200, 200, 403, 403, 403),
    ("GET", "news:manage"): (302, 403, 200, 200, 200, 403, 403, 403),
    ("GET", "news:message"): (404, 200, 200, 200, 200, 404, 404, 404),
    ("GET", "news:message_create"): (302, 200, 200, 200, 200, 200, 200, 200),
    ("GET", "news:moderation"): (302, 403, 200, 200, 200, 403, 403, 403),
    ("GET", "news:photo"): (302, 200, 200, 404, 200, 404, 404, 404),
    ("GET", "news:policy"): (302, 403, 200, 200, 200, 403, 403, 403),
    ("GET", "news:post"): (302, 200, 200, 404, 200, 404, 404, 404),
    ("GET", "news:post_create"): (302, 200, 403, 403, 403, 403, 403, 403),
    ("GET", "news:post_video"): (302, 404, 404, 404, 404, 404, 404, 404),
    ("GET", "news:words"): (302, 403, 403, 403, 200, 403, 403, 403),
    ("GET", "public:article"): (200, 200, 200, 200, 200, 200, 200, 200),
    ("GET", "public:bench_bare"): (404, 404, 404, 404, 404, 404, 404, 404),
    ("GET", "public:board"): (200, 200, 200, 200, 200, 200, 200, 200),
    ("GET", "public:captcha"): (200, 200, 200, 200, 200, 200, 200, 200),
    ("GET", "public:feed_atom"): (200, 200, 200, 200, 200, 200, 200, 200),
    ("GET", "public:feed_rss"): (200, 200, 200, 200, 200, 200, 200, 200),
    ("GET", "public:home"): (200, 200, 200, 200, 200, 200, 200, 200),
    ("POST", "news:article_pin"): (302, 404, 403, 404, 403, 404, 404, 404),
    ("POST", "news:article_remind"): (302, 404, 302, 404, 302, 404, 404, 404),
    ("POST", "news:article_review"): (302, 422, 422, 404, 422, 404, 404, 404),
    ("POST", "news:article_submit"): (302, 404, 409, 404, 403, 404, 404, 404),
    ("POST", "news:article_withdraw"): (302, 422, 422, 404, 422, 404, 404, 404),
    ("POST", "news:comment_add"): (302, 404, 404, 404, 404, 404, 404, 404),
    ("POST", "news:comment_delete"): (302, 302, 302, 404, 302, 404, 404, 404),
    ("POST", "news:comment_report"): (302, 302, 302, 404, 302, 404, 404, 404),
    ("POST", "news:message_close"): (302, 404, 422, 404, 422, 404, 404, 404),
    ("POST", "news:message_pin"): (302, 404, 302, 404, 302, 404, 404, 404),
    ("POST", "news:message_reply"): (302, 404, 422, 404, 422, 404, 404, 404),
    ("POST", "news:moderate"): (302, 403, 302, 404, 302, 403, 403, 403),
    ("POST", "news:post_hide"): (302, 403, 422, 404, 422, 404, 404, 404),
    ("POST", "news:post_like"): (302, 302, 403, 404, 403, 404, 404, 404),
    ("POST", "news:post_unhide"): (302, 403, 302, 404, 302, 404, 404, 404),
    ("POST", "news:word_add"): (302, 403, 403, 403, 422, 403, 403, 403),
    ("POST", "news:word_remove"): (302, 403, 403, 403, 302, 403, 403, 403),
    ("POST", "news:word_update"): (302, 403, 403, 403, 422, 403, 403, 403),
    ("POST", "news:words_import"): (302, 403, 403, 403, 302, 403, 403, 403),
    ("POST", "public:message_create"): (403, 403, 403, 403, 403, 403, 403, 403),
    # Member development. The case is an applicant's of branch_a1 (activist step); the transfer
    # moves a1_other from branch_a1 to branch_b1 (pending the sending side); mobile record and
    # lost contact are in branch_a1. Members read the notice board of their college and their
    # own pages only; the committee-level actions (extension) are refused to a branch secretary.
    ("GET", "development:calendar"): (302, 403, 200, 200, 200, 403, 403, 403),
    ("GET", "development:case_contacts"): (302, 404, 200, 404, 200, 404, 404, 404),
    ("GET", "development:case_create"): (302, 403, 200, 404, 200, 403, 403, 403),
    ("GET", "development:case_detail"): (302, 404, 200, 404, 200, 404, 404, 404),
    ("GET", "development:cases"): (302, 403, 200, 200, 200, 403, 403, 403),
    ("GET", "development:document"): (302, 404, 200, 404, 200, 404, 404, 404),
    ("GET", "development:documents"): (302, 404, 200, 404, 200, 404, 404, 404),
    ("GET", "development:dossier"): (302, 404, 200, 404, 200, 404, 404, 404),
    ("GET", "development:due"): (302, 403, 200, 404, 200, 403, 403, 403),
    ("GET", "development:intake"): (302, 403, 200, 404, 200, 403, 403, 403),
    ("GET", "development:intake_export"): (302, 403, 200, 404, 200, 403, 403, 403),
    ("POST", "development:intake_delay"): (302, 403, 422, 404, 422, 403, 403, 403),
    ("GET", "development:lost_contacts"): (302, 403, 200, 200, 200, 403, 403, 403),
    ("GET", "development:lost_create"): (302, 403, 200, 200, 200, 403, 403, 403),
    ("GET", "development:lost_detail"): (302, 404, 200, 404, 200, 404, 404, 404),
    ("GET", "development:mobile"): (302, 403, 200, 200, 200, 403, 403, 403),
    ("GET", "development:mobile_branch_options"): (302, 403, 200, 200, 200, 403, 403, 403),
    ("GET", "development:mobile_create"): (302, 403, 200, 200, 200, 403, 403, 403),
    ("GET", "development:mobile_detail"): (302, 404, 200, 404, 200, 404, 404, 404),
    ("GET", "development:my_case"): (302, 200, 200, 200, 200, 200, 200, 200),
    ("GET", "development:my_mobile"): (302, 200, 200, 200, 200, 200, 200, 200),
    ("GET", "development:my_reports"): (302, 200, 200, 200, 200, 200, 200, 200),
    ("GET", "development:notice_create"): (302, 404, 200, 404, 200, 404, 404, 404),
    ("GET", "development:notice_detail"): (302, 200, 200, 404, 200, 404, 404, 404),
    ("GET", "development:notices"): (302, 200, 200, 200, 200, 200, 200, 200),
    ("GET", "development:pipeline"): (302, 403, 200, 404, 200, 403, 403, 403),
    ("GET", "development:pipeline_export"): (302, 403, 200, 404, 200, 403, 403, 403),
    ("GET", "development:report_policy"): (302, 403, 403, 403, 200, 403, 403, 403),
    ("GET", "development:step_form"): (302, 404, 200, 404, 200, 404, 404, 404),
    ("GET", "development:thought_report_detail"): (302, 404, 200, 404, 200, 404, 404, 404),
    ("GET", "development:thought_reports"): (302, 403, 200, 200, 200, 403, 403, 403),
    ("GET", "development:transfer_batch"): (302, 403, 200, 200, 200, 403, 403, 403),
    ("GET", "development:transfer_batch_detail"): (302, 404, 200, 404, 200, 404, 404, 404),
    ("GET", "development:transfer_batch_people"): (302, 403, 200, 200, 200, 403, 403, 403),
    ("GET", "development:transfer_batch_template"): (302, 403, 200, 200, 200, 403, 403, 403),
    ("GET", "development:transfer_create"): (302, 403, 200, 200, 200, 403, 403, 403),
    ("GET", "development:transfer_detail"): (302, 404, 200, 404, 200, 404, 404, 404),
    ("GET", "development:transfer_letter"): (302, 404, 409, 404, 409, 404, 404, 404),
    ("GET", "development:transfer_person_search"): (302, 403, 200, 200, 200, 403, 403, 403),
    ("GET", "development:transfer_unit_search"): (302, 403, 200, 200, 200, 403, 403, 403),
    ("GET", "development:transfers"): (302, 403, 200, 200, 200, 403, 403, 403),
    ("POST", "development:calendar_delete"): (302, 403, 403, 403, 302, 403, 403, 403),
    ("POST", "development:case_extend"): (302, 404, 403, 404, 422, 404, 404, 404),
    ("POST", "development:case_terminate"): (302, 404, 422, 404, 422, 404, 404, 404),
    ("POST", "development:document_generate"): (302, 404, 422, 404, 422, 404, 404, 404),
    ("POST", "development:lost_attempt"): (302, 404, 422, 404, 422, 404, 404, 404),
    ("POST", "development:lost_remove"): (302, 404, 422, 404, 422, 404, 404, 404),
    ("POST", "development:lost_restore"): (302, 404, 422, 404, 422, 404, 404, 404),
    ("POST", "development:lost_suspend"): (302, 404, 422, 404, 422, 404, 404, 404),
    ("POST", "development:mobile_activity_add"): (302, 404, 422, 404, 422, 404, 404, 404),
    ("POST", "development:mobile_activity_confirm"): (302, 404, 302, 404, 302, 404, 404, 404),
    ("POST", "development:mobile_report_review"): (302, 404, 422, 404, 422, 404, 404, 404),
    ("POST", "development:mobile_report_submit"): (302, 404, 422, 404, 422, 404, 404, 404),
    ("POST", "development:mobile_return"): (302, 404, 422, 404, 422, 404, 404, 404),
    ("POST", "development:record_void"): (302, 404, 302, 404, 302, 404, 404, 404),
    ("POST", "development:thought_report_comment"): (302, 404, 422, 404, 422, 404, 404, 404),
    ("POST", "development:transfer_batch_approve"): (302, 404, 302, 404, 302, 404, 404, 404),
    ("POST", "development:transfer_cancel"): (302, 404, 302, 404, 403, 404, 404, 404),
    ("POST", "development:transfer_decide"): (302, 404, 422, 404, 422, 404, 404, 404),
    ("POST", "development:transfer_receipt"): (302, 404, 422, 404, 422, 404, 404, 404),
    # Service and democracy (matrix_service.py builds the objects): an open service post of
    # branch_a1 with a shift member1 signed up to, an open micro-wish, a partnership; a committee
    # election of branch_a1 with a round open (member1 votes), this year's appraisal, the
    # university's award round with branch_a1's nomination of member1 and an objection.
    ("GET", "volunteering:activity_add"): (302, 404, 200, 404, 200, 404, 404, 404),
    ("GET", "volunteering:agreement_file"): (302, 404, 404, 404, 404, 404, 404, 404),
    ("GET", "volunteering:checkin"): (302, 200, 200, 200, 200, 200, 200, 200),
    ("GET", "volunteering:checkin_qr"): (302, 404, 200, 404, 200, 404, 404, 404),
    ("GET", "volunteering:checkin_screen"): (302, 404, 200, 404, 200, 404, 404, 404),
    ("POST", "volunteering:hours_confirm"): (302, 404, 422, 404, 422, 404, 404, 404),
    ("POST", "volunteering:hours_confirm_bulk"): (302, 404, 302, 404, 302, 404, 404, 404),
    ("GET", "volunteering:my_service"): (302, 200, 200, 200, 200, 200, 200, 200),
    ("GET", "volunteering:partner_create"): (302, 403, 200, 200, 200, 403, 403, 403),
    ("GET", "volunteering:partner_edit"): (302, 404, 200, 404, 200, 404, 404, 404),
    ("GET", "volunteering:partners"): (302, 403, 200, 200, 200, 403, 403, 403),
    ("GET", "volunteering:partnership"): (302, 404, 200, 404, 200, 404, 404, 404),
    ("GET", "volunteering:partnership_create"): (302, 403, 200, 200, 200, 403, 403, 403),
    ("GET", "volunteering:partnership_edit"): (302, 404, 200, 404, 200, 404, 404, 404),
    ("POST", "volunteering:partnership_end"): (302, 404, 302, 404, 302, 404, 404, 404),
    ("GET", "volunteering:partnerships"): (302, 403, 200, 200, 200, 403, 403, 403),
    ("GET", "volunteering:post"): (302, 200, 200, 404, 200, 404, 404, 404),
    ("POST", "volunteering:post_close"): (302, 404, 302, 404, 302, 404, 404, 404),
    ("GET", "volunteering:post_create"): (302, 403, 200, 200, 200, 403, 403, 403),
    ("GET", "volunteering:post_edit"): (302, 404, 200, 404, 200, 404, 404, 404),
    ("POST", "volunteering:post_invite"): (302, 404, 422, 404, 422, 404, 404, 404),
    ("GET", "volunteering:post_match"): (302, 404, 200, 404, 200, 404, 404, 404),
    ("POST", "volunteering:post_publish"): (302, 404, 409, 404, 409, 404, 404, 404),
    ("GET", "volunteering:posts"): (302, 200, 200, 200, 200, 200, 200, 200),
    ("GET", "volunteering:profile"): (302, 200, 200, 200, 200, 200, 200, 200),
    ("GET", "volunteering:recommend"): (302, 200, 200, 200, 200, 200, 200, 200),
    ("GET", "volunteering:shift_add"): (302, 404, 200, 404, 200, 404, 404, 404),
    ("GET", "volunteering:shift_edit"): (302, 404, 200, 404, 200, 404, 404, 404),
    ("POST", "volunteering:shift_cancel"): (302, 404, 422, 404, 422, 404, 404, 404),
    ("GET", "volunteering:shift_roster"): (302, 404, 200, 404, 200, 404, 404, 404),
    ("POST", "volunteering:signup"): (302, 409, 422, 404, 422, 404, 404, 404),
    ("POST", "volunteering:signup_absent"): (302, 404, 422, 404, 422, 404, 404, 404),
    ("POST", "volunteering:signup_cancel"): (302, 302, 404, 404, 404, 404, 404, 404),
    ("POST", "volunteering:signup_manual"): (302, 404, 422, 404, 422, 404, 404, 404),
    ("POST", "volunteering:signup_rate"): (302, 422, 422, 422, 422, 422, 422, 422),
    ("POST", "volunteering:signup_rate_volunteer"): (302, 404, 422, 404, 422, 404, 404, 404),
    ("GET", "volunteering:stats"): (302, 403, 200, 200, 200, 403, 403, 403),
    ("GET", "volunteering:stats_export"): (302, 403, 200, 200, 200, 403, 403, 403),
    ("GET", "volunteering:summary"): (302, 404, 200, 404, 200, 404, 404, 404),
    ("GET", "volunteering:wish"): (302, 200, 200, 404, 200, 404, 404, 404),
    ("POST", "volunteering:wish_claim"): (302, 302, 403, 404, 403, 404, 404, 404),
    ("POST", "volunteering:wish_confirm"): (302, 403, 409, 404, 409, 404, 404, 404),
    ("GET", "volunteering:wish_create"): (302, 403, 200, 200, 200, 403, 403, 403),
    ("GET", "volunteering:wish_edit"): (302, 403, 200, 404, 200, 404, 404, 404),
    ("POST", "volunteering:wish_fulfil"): (302, 409, 409, 404, 409, 404, 404, 404),
    ("GET", "volunteering:wish_photo"): (302, 404, 404, 404, 404, 404, 404, 404),
    ("POST", "volunteering:wish_release"): (302, 409, 409, 404, 409, 404, 404, 404),
    ("POST", "volunteering:wish_send_back"): (302, 403, 422, 404, 422, 404, 404, 404),
    ("POST", "volunteering:wish_withdraw"): (302, 403, 422, 404, 422, 404, 404, 404),
    ("GET", "volunteering:wishes"): (302, 200, 200, 200, 200, 403, 403, 403),
    ("GET", "voting:appraisal"): (302, 302, 200, 404, 200, 404, 404, 404),
    ("POST", "voting:appraisal_advance"): (302, 404, 422, 404, 422, 404, 404, 404),
    ("GET", "voting:appraisal_create"): (302, 403, 200, 200, 200, 403, 403, 403),
    ("GET", "voting:appraisal_export"): (302, 404, 200, 404, 200, 404, 404, 404),
    ("POST", "voting:appraisal_remind"): (302, 404, 302, 404, 302, 404, 404, 404),
    ("GET", "voting:appraisals"): (302, 200, 200, 200, 200, 200, 200, 200),
    ("POST", "voting:award_advance"): (302, 404, 403, 403, 409, 404, 404, 404),
    ("POST", "voting:award_finalize"): (302, 404, 403, 403, 409, 404, 404, 404),
    ("GET", "voting:award_list"): (302, 404, 404, 404, 404, 404, 404, 404),
    ("GET", "voting:award_notice"): (302, 404, 404, 404, 404, 404, 404, 404),
    ("GET", "voting:award_round"): (302, 404, 200, 200, 200, 404, 404, 404),
    ("GET", "voting:award_round_create"): (302, 403, 403, 403, 200, 403, 403, 403),
    ("GET", "voting:award_vote"): (302, 404, 403, 403, 200, 404, 404, 404),
    ("GET", "voting:awards"): (302, 200, 200, 200, 200, 200, 200, 200),
    ("POST", "voting:ballot"): (302, 200, 200, 404, 200, 404, 404, 404),
    ("GET", "voting:candidates"): (302, 403, 200, 404, 200, 404, 404, 404),
    ("GET", "voting:decision"): (302, 404, 200, 404, 200, 404, 404, 404),
    ("GET", "voting:election"): (302, 200, 200, 404, 200, 404, 404, 404),
    ("POST", "voting:election_cancel"): (302, 403, 302, 404, 302, 404, 404, 404),
    ("GET", "voting:election_create"): (302, 403, 200, 200, 200, 403, 403, 403),
    ("GET", "voting:election_edit"): (302, 403, 200, 404, 200, 404, 404, 404),
    ("GET", "voting:elections"): (302, 200, 200, 200, 200, 200, 200, 200),
    ("GET", "voting:handling"): (302, 404, 200, 404, 200, 404, 404, 404),
    ("GET", "voting:nomination"): (302, 404, 200, 404, 200, 404, 404, 404),
    ("GET", "voting:nomination_create"): (302, 404, 200, 200, 200, 404, 404, 404),
    ("POST", "voting:nomination_review"): (302, 404, 422, 404, 422, 404, 404, 404),
    ("POST", "voting:nomination_withdraw"): (302, 404, 302, 404, 302, 404, 404, 404),
    ("POST", "voting:objection_add"): (302, 404, 404, 404, 404, 404, 404, 404),
    ("POST", "voting:objection_handle"): (302, 404, 422, 422, 422, 404, 404, 404),
    ("GET", "voting:paper_ballot"): (302, 403, 200, 404, 200, 404, 404, 404),
    ("GET", "voting:proposal"): (302, 404, 200, 404, 200, 404, 404, 404),
    ("POST", "voting:rate"): (302, 302, 404, 404, 404, 404, 404, 404),
    ("GET", "voting:result"): (302, 302, 200, 404, 200, 404, 404, 404),
    ("POST", "voting:result_approve"): (302, 403, 403, 404, 302, 404, 404, 404),
    ("POST", "voting:result_report"): (302, 403, 302, 404, 302, 404, 404, 404),
    ("GET", "voting:roll"): (302, 403, 200, 404, 200, 404, 404, 404),
    ("POST", "voting:roll_freeze"): (302, 403, 302, 404, 302, 404, 404, 404),
    ("POST", "voting:round_close"): (302, 403, 302, 404, 302, 404, 404, 404),
    ("POST", "voting:round_open"): (302, 403, 302, 404, 302, 404, 404, 404),
    ("GET", "voting:self_assessment"): (302, 200, 404, 404, 404, 404, 404, 404),
    ("POST", "voting:voter_checkin"): (302, 302, 403, 404, 403, 404, 404, 404),
    # The Party school: a running class of the university (admin is its head teacher) with member1
    # enrolled; secretary1 follows member1 (school.view_enrolment), secretary2 sees nothing of it.
    # Tasks: a task of the university to branch_a1, submitted with evidence. Assessment: the
    # university's set of branches in scoring. Cockpit: pages for the user's own scope.
    ("GET", "school:assignment"): (302, 200, 404, 404, 200, 404, 404, 404),
    ("GET", "school:assignment_create"): (302, 403, 403, 404, 200, 404, 404, 404),
    ("GET", "school:assignments"): (302, 200, 403, 404, 200, 404, 404, 404),
    ("GET", "school:attendance"): (302, 403, 403, 404, 200, 404, 404, 404),
    ("GET", "school:certificate"): (302, 200, 200, 404, 200, 404, 404, 404),
    ("GET", "school:certificate_pdf"): (302, 200, 200, 404, 200, 404, 404, 404),
    ("POST", "school:certificate_revoke"): (302, 403, 403, 404, 422, 404, 404, 404),
    ("GET", "school:checkin"): (302, 200, 200, 200, 200, 200, 200, 200),
    ("GET", "school:checkin_qr"): (302, 403, 403, 404, 200, 404, 404, 404),
    ("GET", "school:checkin_screen"): (302, 403, 403, 404, 200, 404, 404, 404),
    ("GET", "school:class"): (302, 200, 200, 404, 200, 404, 404, 404),
    ("POST", "school:class_advance"): (302, 403, 403, 404, 409, 404, 404, 404),
    ("GET", "school:class_comments"): (302, 403, 403, 404, 200, 404, 404, 404),
    ("GET", "school:class_create"): (302, 403, 403, 403, 200, 403, 403, 403),
    ("GET", "school:class_edit"): (302, 403, 403, 404, 200, 404, 404, 404),
    ("POST", "school:class_finalize"): (302, 403, 403, 404, 302, 404, 404, 404),
    ("GET", "school:class_stats"): (302, 403, 403, 404, 200, 404, 404, 404),
    ("GET", "school:classes"): (302, 200, 200, 200, 200, 200, 200, 200),
    ("GET", "school:course_items"): (302, 403, 403, 404, 200, 404, 404, 404),
    ("POST", "school:enrol_add"): (302, 403, 403, 404, 302, 404, 404, 404),
    ("GET", "school:enrol_list"): (302, 403, 403, 404, 200, 404, 404, 404),
    ("GET", "school:enrol_rule"): (302, 403, 403, 404, 200, 404, 404, 404),
    ("GET", "school:enrol_template"): (302, 200, 200, 200, 200, 200, 200, 200),
    ("GET", "school:evaluate"): (302, 200, 403, 404, 403, 404, 404, 404),
    ("GET", "school:hours"): (302, 200, 200, 404, 200, 404, 404, 404),
    ("POST", "school:hours_credit"): (302, 403, 403, 404, 409, 404, 404, 404),
    ("GET", "school:my"): (302, 200, 200, 200, 200, 200, 200, 200),
    ("GET", "school:results"): (302, 200, 200, 404, 200, 404, 404, 404),
    ("GET", "school:roster"): (302, 200, 200, 404, 200, 404, 404, 404),
    ("GET", "school:session"): (302, 200, 200, 404, 200, 404, 404, 404),
    ("GET", "school:session_create"): (302, 403, 403, 404, 200, 404, 404, 404),
    ("POST", "school:session_delete"): (302, 403, 403, 404, 302, 404, 404, 404),
    ("GET", "school:session_edit"): (302, 403, 403, 404, 200, 404, 404, 404),
    ("GET", "school:stats"): (302, 403, 403, 403, 200, 403, 403, 403),
    ("GET", "school:stats_export"): (302, 403, 403, 403, 200, 403, 403, 403),
    ("GET", "school:submission_file"): (302, 200, 404, 404, 200, 404, 404, 404),
    ("POST", "school:submission_grade"): (302, 403, 404, 404, 302, 404, 404, 404),
    ("GET", "school:verify"): (200, 200, 200, 200, 200, 200, 200, 200),
    ("POST", "school:withdraw_decide"): (302, 403, 403, 404, 302, 404, 404, 404),
    ("POST", "school:withdraw_request"): (302, 302, 404, 404, 404, 404, 404, 404),
    ("GET", "worktasks:attachment"): (302, 404, 200, 404, 200, 404, 404, 404),
    ("GET", "worktasks:board"): (302, 403, 200, 200, 200, 403, 403, 403),
    ("GET", "worktasks:evidence"): (302, 404, 200, 404, 200, 404, 404, 404),
    ("GET", "worktasks:issued"): (302, 403, 403, 403, 200, 403, 403, 403),
    ("GET", "worktasks:stats"): (302, 403, 200, 200, 200, 403, 403, 403),
    ("GET", "worktasks:target"): (302, 404, 200, 404, 200, 404, 404, 404),
    ("POST", "worktasks:target_assign"): (302, 404, 409, 404, 409, 404, 404, 404),
    ("POST", "worktasks:target_report"): (302, 404, 422, 404, 422, 404, 404, 404),
    ("POST", "worktasks:target_review"): (302, 404, 403, 404, 422, 404, 404, 404),
    ("POST", "worktasks:target_submit"): (302, 404, 422, 404, 422, 404, 404, 404),
    ("GET", "worktasks:task"): (302, 404, 404, 404, 200, 404, 404, 404),
    ("POST", "worktasks:task_cancel"): (302, 404, 404, 404, 422, 404, 404, 404),
    ("POST", "worktasks:task_close"): (302, 404, 404, 404, 302, 404, 404, 404),
    ("GET", "worktasks:task_create"): (302, 403, 403, 403, 200, 403, 403, 403),
    ("GET", "worktasks:task_edit"): (302, 404, 404, 404, 409, 404, 404, 404),
    ("GET", "worktasks:task_export"): (302, 404, 404, 404, 200, 404, 404, 404),
    ("POST", "worktasks:task_issue"): (302, 404, 404, 404, 409, 404, 404, 404),
    ("GET", "cockpit:dashboard"): (302, 403, 200, 200, 200, 403, 403, 403),
    ("GET", "cockpit:dashboard_export"): (302, 403, 200, 200, 200, 403, 403, 403),
    ("POST", "cockpit:warning_refresh"): (302, 403, 403, 403, 302, 403, 403, 403),
    ("GET", "cockpit:warnings"): (302, 403, 200, 200, 200, 403, 403, 403),
    ("GET", "assessment:export"): (302, 404, 404, 404, 200, 404, 404, 404),
    ("GET", "assessment:indicator_add"): (302, 404, 404, 404, 200, 404, 404, 404),
    ("POST", "assessment:indicator_delete"): (302, 404, 404, 404, 302, 404, 404, 404),
    ("GET", "assessment:indicator_edit"): (302, 404, 404, 404, 200, 404, 404, 404),
    ("GET", "assessment:ranking"): (302, 404, 404, 404, 200, 404, 404, 404),
    ("GET", "assessment:score_cell"): (302, 404, 403, 404, 200, 404, 404, 404),
    ("GET", "assessment:scores"): (302, 404, 404, 404, 200, 404, 404, 404),
    ("GET", "assessment:set"): (302, 404, 404, 404, 200, 404, 404, 404),
    ("POST", "assessment:set_advance"): (302, 404, 404, 404, 422, 404, 404, 404),
    ("POST", "assessment:set_copy"): (302, 404, 404, 404, 302, 404, 404, 404),
    ("GET", "assessment:set_create"): (302, 403, 403, 403, 200, 403, 403, 403),
    ("GET", "assessment:sets"): (302, 403, 200, 200, 200, 403, 403, 403),
    ("GET", "assessment:unit_detail"): (302, 404, 404, 404, 200, 404, 404, 404),
}


def dues_objects(world) -> dict:
    """A declared base, an open bill and a cash payment of a1_other, member1's own open bill
    with an online order, and an arrears case, all in branch_a1."""
    import datetime

    from cloudbranch.fees import payments
    from cloudbranch.fees.models import ArrearsCase, BaseImportJob
    from cloudbranch.fees.tests.factories import make_base
    from cloudbranch.fees.tests.payments_support import make_bill

    other, member = world.people["a1_other"], world.people["member1"]
    base = make_base(other, by=world.users["secretary1"], status="declared")
    bill = make_bill(other, datetime.date(2026, 10, 1))
    paid = make_bill(other, datetime.date(2026, 9, 1))
    entry = payments.offline_payment(
        actor=world.users["admin"],
        bill_ids=[paid.pk],
        method="cash",
        receipt_no="R0001",
        paid_on=datetime.date(2026, 9, 5),
    )[0]
    order = payments.order_create(
        actor=world.users["member1"], bill_ids=[make_bill(member, datetime.date(2026, 10, 1)).pk]
    )
    case = ArrearsCase.objects.create(
        person=other, unit=world.branch_a1, first_month=datetime.date(2026, 1, 1), months=6
    )
    job = BaseImportJob.objects.create(created_by=world.users["secretary1"], file_name="工资表.xlsx", file_data=b"")
    return {
        "fees:base_decide": (base.pk,),
        **{f"fees:base_import_{a}": (job.pk,) for a in ("job", "confirm", "discard", "undo")},
        "fees:bill_exempt": (bill.pk,),
        "fees:receipt": (entry.pk,),
        "fees:reverse": (entry.pk,),
        "fees:order": (order.order_no,),
        "fees:sandbox_checkout": (order.order_no,),
        "fees:arrears_decide": (case.pk,),
        "fees:callback": ("sandbox",),
    }


def development_objects(world) -> dict:
    """A case of an applicant in branch_a1 at the activist step with a generated document, a
    public notice and a thought report; an internal transfer of a1_other to branch_b1 and a
    graduation batch of branch_a1; a mobile record of a1_other with an activity and a yearly
    report; a lost-contact case in branch_a1."""
    import datetime

    from cloudbranch.development.models import (
        CalendarDay,
        CaseDocument,
        LostContact,
        MobileActivity,
        MobileRecord,
        MobileReport,
        PublicNotice,
        ThoughtReport,
        Transfer,
        TransferBatch,
    )
    from cloudbranch.development.tests.factories import make_case
    from cloudbranch.testing.factories import PersonFactory

    w, admin = world, world.users["admin"]
    case = make_case(actor=admin, unit=w.branch_a1, upto="activist")
    record = case.records.order_by("-occurred_on", "-id").first()
    document = CaseDocument.objects.create(
        case=case, kind="talk_record", title="谈话记录", body="谈话记录", generated=True, created_by=admin
    )
    notice = PublicNotice.objects.create(
        case=case,
        kind="candidate",
        starts_on=datetime.date(2026, 11, 2),
        ends_on=datetime.date(2026, 11, 6),
        workdays=5,
        text="公示",
        created_by=admin,
    )
    report = ThoughtReport.objects.create(
        person=case.person, case=case, period_start=datetime.date(2026, 10, 1), title="思想汇报", content="内容"
    )
    other = w.people["a1_other"]
    transfer = Transfer.objects.create(
        kind="internal",
        status="pending_out",
        person=other,
        person_name=other.name,
        from_unit=w.branch_a1,
        to_unit=w.branch_b1,
        reason="工作调动",
        requested_by=w.users["secretary1"],
    )
    batch = TransferBatch.objects.create(
        from_unit=w.branch_a1, title="2026届毕业生", status="submitted", created_by=w.users["secretary1"]
    )
    mobile = MobileRecord.objects.create(
        person=other,
        started_on=datetime.date(2026, 3, 1),
        destination="深圳市",
        reason="work",
        contact_phone="13800000000",
        created_by=admin,
    )
    activity = MobileActivity.objects.create(
        record=mobile, kind="study", occurred_on=datetime.date(2026, 5, 1), title="线上学习", created_by=admin
    )
    yearly = MobileReport.objects.create(record=mobile, year=2026, content="年度汇报", submitted_by=admin)
    lost = LostContact.objects.create(
        person=PersonFactory(unit=w.branch_a1), lost_since=datetime.date(2026, 1, 1), created_by=admin
    )
    day = CalendarDay.objects.order_by("date").first()
    by_case = {
        n: (case.pk,)
        for n in (
            "case_detail",
            "case_terminate",
            "case_extend",
            "case_contacts",
            "documents",
            "document_generate",
            "dossier",
            "notice_create",
            "intake_delay",
        )
    }
    by_transfer = {
        n: (transfer.pk,)
        for n in ("transfer_detail", "transfer_decide", "transfer_cancel", "transfer_receipt", "transfer_letter")
    }
    by_mobile = {
        n: (mobile.pk,) for n in ("mobile_detail", "mobile_return", "mobile_activity_add", "mobile_report_submit")
    }
    by_lost = {n: (lost.pk,) for n in ("lost_detail", "lost_attempt", "lost_suspend", "lost_remove", "lost_restore")}
    args = {
        **by_case,
        **by_transfer,
        **by_mobile,
        **by_lost,
        "step_form": (case.pk, "activist_filing"),
        "record_void": (record.pk,),
        "document": (document.pk,),
        "notice_detail": (notice.pk,),
        "calendar_delete": (day.pk,),
        "transfer_batch_detail": (batch.pk,),
        "transfer_batch_approve": (batch.pk,),
        "mobile_activity_confirm": (activity.pk,),
        "mobile_report_review": (yearly.pk,),
        "thought_report_detail": (report.pk,),
        "thought_report_comment": (report.pk,),
    }
    return {f"development:{k}": v for k, v in args.items()}


def learning_objects(world) -> dict:
    """Learning objects of branch_a1: a published article and topic, a study task assigned to
    member1, a question, an open paper with member1's attempt in progress, a running contest, a
    duel member1 started against a1_other, and a wrong answer in member1's book."""
    import datetime

    from django.utils import timezone

    from cloudbranch.learning.models import (
        Attempt,
        Contest,
        Duel,
        Paper,
        PaperQuestion,
        Question,
        QuestionImportJob,
        Resource,
        StudyTask,
        TaskAssignee,
        Topic,
        WrongAnswer,
    )

    w, sec = world, world.users["secretary1"]
    now = timezone.now()
    resource = Resource.objects.create(
        kind="article",
        title="党章学习",
        body="<p>党章</p>",
        column="cultivation",
        unit=w.branch_a1,
        status="published",
        published_at=now,
        created_by=sec,
    )
    topic = Topic.objects.create(unit=w.branch_a1, title="专题", status="published", published_at=now, created_by=sec)
    task = StudyTask.objects.create(
        unit=w.branch_a1, title="学习党章", deadline=now.date() + datetime.timedelta(days=7), created_by=sec
    )
    task.resources.add(resource)
    TaskAssignee.objects.create(task=task, person=w.people["member1"], unit=w.branch_a1)
    question = Question.objects.create(
        unit=w.branch_a1, kind="judge", stem="预备期为一年。", options=["正确", "错误"], answer=[0], created_by=sec
    )
    paper = Paper.objects.create(
        unit=w.branch_a1,
        title="党章测试",
        opens_at=now - datetime.timedelta(days=1),
        closes_at=now + datetime.timedelta(days=1),
        status="published",
        created_by=sec,
    )
    PaperQuestion.objects.create(paper=paper, question=question, position=1, points=100)
    attempt = Attempt.objects.create(
        paper=paper,
        person=w.people["member1"],
        deadline_at=now + datetime.timedelta(minutes=30),
        items=[{"question": question.pk, "points": "100", "order": [0, 1]}],
        max_score=100,
    )
    contest = Contest.objects.create(
        unit=w.branch_a1,
        title="知识竞赛",
        starts_at=now - datetime.timedelta(days=1),
        ends_at=now + datetime.timedelta(days=1),
        question_count=1,
        status="published",
        created_by=sec,
    )
    duel = Duel.objects.create(challenger=w.people["member1"], opponent=w.people["a1_other"], items=[question.pk])
    wrong = WrongAnswer.objects.create(person=w.people["member1"], question=question)
    # secretary1's question import, already undone: its page shows, every action is a 409
    qjob = QuestionImportJob.objects.create(unit=w.branch_a1, created_by=sec, file_name="题库.xlsx", status="undone")
    args = {
        "resource": (resource.pk,),
        "resource_file": (resource.pk,),
        "heartbeat": (resource.pk,),
        "resource_edit": (resource.pk,),
        "resource_publish": (resource.pk,),
        "resource_withdraw": (resource.pk,),
        "topic": (topic.pk,),
        "topic_edit": (topic.pk,),
        "topic_items": (topic.pk,),
        "certificate": (now.year,),
        "task": (task.pk,),
        "task_close": (task.pk,),
        "task_cancel": (task.pk,),
        "task_export": (task.pk,),
        "question_edit": (question.pk,),
        "question_status": (question.pk,),
        "practice": (question.pk,),
        "attempt": (attempt.pk,),
        "attempt_save": (attempt.pk,),
        "attempt_submit": (attempt.pk,),
        "attempt_result": (attempt.pk,),
        "wrong_review": (wrong.pk,),
        **{f"question_import_{a}": (qjob.pk,) for a in ("job", "confirm", "discard", "undo")},
        **{
            n: (paper.pk,)
            for n in (
                "paper",
                "paper_edit",
                "paper_questions",
                "paper_publish",
                "paper_close",
                "paper_withdraw",
                "exam_start",
            )
        },
        **{n: (contest.pk,) for n in ("contest", "contest_enter", "contest_play", "contest_answer", "contest_board")},
        **{n: (duel.pk,) for n in ("duel", "duel_state", "duel_accept", "duel_decline", "duel_answer")},
    }
    return {f"learning:{k}": v for k, v in args.items()}


def news_objects(world) -> dict:
    """Communication objects of branch_a1: a published subtree article requiring reading with
    an attachment, member1's feed post with a photo and a comment, a message to the branch, a
    sensitive word; and a public article of the root for the portal."""
    from django.core.files.base import ContentFile
    from django.utils import timezone

    from cloudbranch.news.models import (
        Article,
        ArticleAttachment,
        Comment,
        Message,
        Post,
        PostPhoto,
        SensitiveWord,
    )

    w, sec = world, world.users["secretary1"]
    now = timezone.now()
    article = Article.objects.create(
        unit=w.branch_a1,
        category="notice",
        title="通知",
        body="<p>通知</p>",
        status="published",
        published_at=now,
        requires_reading=True,
        author=sec,
    )
    attachment = ArticleAttachment(
        article=article, original_name="a.pdf", content_type="application/pdf", size=8, uploaded_by=sec
    )
    attachment.file.save("a.pdf", ContentFile(b"%PDF-1.4"))
    public = Article.objects.create(
        unit=w.root,
        category="news",
        title="公开动态",
        body="<p>公开</p>",
        visibility="public",
        status="published",
        published_at=now,
        author=w.users["admin"],
    )
    post = Post.objects.create(unit=w.branch_a1, author=w.people["member1"], body="主题党日")
    photo = PostPhoto(post=post, width=1, height=1)
    photo.image.save("p.jpg", ContentFile(b"\xff\xd8\xff"))
    comment = Comment.objects.create(post=post, author=w.users["member1"], body="好")
    message = Message.objects.create(
        unit=w.branch_a1, author=w.users["member1"], category="other", title="建议", body="建议"
    )
    word = SensitiveWord.objects.create(word="违禁词", created_by=w.users["admin"])
    by_article = {
        n: (article.pk,)
        for n in (
            "article",
            "article_cover",
            "article_edit",
            "article_submit",
            "article_review",
            "article_withdraw",
            "article_pin",
            "article_receipts",
            "article_remind",
        )
    }
    args = {
        **{f"news:{k}": v for k, v in by_article.items()},
        "news:attachment": (attachment.pk,),
        **{f"news:{n}": (message.pk,) for n in ("message", "message_reply", "message_close", "message_pin")},
        **{f"news:{n}": (comment.pk,) for n in ("comment_delete", "comment_report", "moderate")},
        **{f"news:{n}": (word.pk,) for n in ("word_update", "word_remove")},
        **{f"news:{n}": (post.pk,) for n in ("post", "post_like", "post_hide", "post_unhide", "post_video")},
        "news:photo": (photo.pk,),
        "public:article": (public.pk,),
    }
    return args


MEETING_URLS = {
    "meetings:detail",
    "meetings:edit",
    "meetings:schedule",
    "meetings:cancel",
    "meetings:mark_held",
    "meetings:archive",
    "meetings:attendance_panel",
    "meetings:checkin_screen",
    "meetings:checkin_qr",
    "meetings:leave_request",
    "meetings:records_panel",
    "meetings:minutes_save",
    "meetings:amendment_add",
    "meetings:attachment_upload",
    "meetings:print",
}


def a1_meeting(world):
    """A scheduled meeting of branch_a1 with member1 and a1_other invited."""
    from cloudbranch.meetings.tests.factories import make_meeting

    return make_meeting(
        unit=world.branch_a1,
        created_by=world.users["secretary1"],
        status="scheduled",
        invitees=[world.people["member1"], world.people["a1_other"]],
    )


def url_args(world, name: str) -> tuple:
    """The object each URL is tried on: everything belongs to branch_a1 or to secretary1."""
    w = world
    if name in {
        "orgs:unit_detail",
        "orgs:tree_children",
        "orgs:unit_create",
        "orgs:unit_edit",
        "orgs:unit_move",
        "orgs:unit_merge",
        "orgs:unit_dissolve",
        "people:unit_summary",
        "people:committee",
    }:
        return (w.branch_a1.pk,)
    if name in {"people:detail", "people:edit", "people:reveal_id"}:
        return (w.people["a1_other"].pk,)
    if name in {"accounts:user_edit", "accounts:user_reset_password", "accounts:user_unlock", "accounts:user_set_duty"}:
        return (w.users["member1"].pk,)
    if name in {
        "people_import:job",
        "people_import:job_progress",
        "people_import:confirm",
        "people_import:discard",
        "people_import:undo",
    }:
        job = ImportJob.objects.create(created_by=w.users["secretary1"], file_name="名册.xlsx", file_data=b"")
        return (job.pk,)
    if name == "audit:detail":
        return (audit_record(actor=w.users["admin"], action="orgs.unit.update", target=w.branch_a1).pk,)
    if name == "notifications:open":
        notify(recipients=[w.users["secretary1"]], category="system", title="通知")
        return (Notification.objects.get(recipient=w.users["secretary1"]).pk,)
    if name == "orgs:role_revoke":
        return (RoleAssignment.objects.get(user=w.users["secretary1"]).pk,)
    if name == "accounts:otp_reset":
        return (w.users["member1"].pk,)
    if name in {"accounts:token_revoke", "people:committee_end", "accounts:session_end"}:
        return (987654,)
    if name in MEETING_URLS:
        return (a1_meeting(w).pk,)
    if name in {"meetings:leave_decide", "meetings:mark_attendance"}:
        return (a1_meeting(w).invitees.get(person=w.people["a1_other"]).pk,)
    if name in {"meetings:attachment", "meetings:attachment_delete"}:
        from django.core.files.base import ContentFile

        from cloudbranch.meetings.models import MeetingAttachment

        attachment = MeetingAttachment(
            meeting=a1_meeting(w),
            kind="document",
            original_name="记录.txt",
            content_type="text/plain",
            size=3,
            uploaded_by=w.users["secretary1"],
        )
        attachment.file.save("record.txt", ContentFile(b"abc"))
        return (attachment.pk,)
    if name == "meetings:calendar":
        return (w.branch_a1.pk,)
    if name.startswith("fees:"):
        return dues_objects(w).get(name, ())
    if name.startswith("development:"):
        return development_objects(w).get(name, ())
    if name.startswith("learning:"):
        return learning_objects(w).get(name, ())
    if name.startswith(("news:", "public:")):
        return news_objects(w).get(name, ())
    builder = {
        "volunteering": matrix_service.service_objects,
        "voting": matrix_service.democracy_objects,
        "school": matrix_service.school_objects,
        "worktasks": matrix_service.tasks_objects,
        "assessment": matrix_service.assessment_objects,
        "paperwork": matrix_service.paperwork_objects,
        "onboarding": matrix_service.onboarding_objects,
    }.get(name.split(":")[0])
    if builder is not None:
        return builder(w).get(name, ())
    return ()


CASES = [
    pytest.param(method, name, role, expected[i], id=f"{method} {name} [{role}]")
    for (method, name), expected in MATRIX.items()
    for i, role in enumerate(ROLES)
]


QUERY = {
    "meetings:ledger": "?unit={a1}&year=2026",
    "meetings:ledger_export": "?unit={a1}&year=2026",
    "development:pipeline": "?unit={a1}",
    "development:pipeline_export": "?unit={a1}",
    "development:due": "?unit={a1}",
    "development:intake": "?unit={a1}",
    "development:intake_export": "?unit={a1}",
    "development:case_create": "?person={a1_other}",
    "learning:unit_weak": "?unit={a1}",
    "points:ranking": "?unit={a1}",
    "points:scores": "?unit={a1}",
    "points:scores_export": "?unit={a1}",
}


ONBOARDING_STEPS = {"onboarding:code", "onboarding:password", "onboarding:reset_confirm"}


@pytest.fixture
def world(shared_world):
    """Built once per module (see ``shared_world``): each case still starts from the world as built."""
    return shared_world


@pytest.mark.parametrize(("method", "name", "role", "expected"), CASES)
def test_role_url_status(client, world, settings, tmp_path, method, name, role, expected):
    settings.MEDIA_ROOT = tmp_path
    url = reverse(name, args=url_args(world, name)) + QUERY.get(name, "").format(
        a1=world.branch_a1.pk, a1_other=world.people["a1_other"].pk
    )
    if role != "anonymous":
        client.force_login(world.users[role])
    response = client.get(url) if method == "GET" else client.post(url, {})
    assert response.status_code == expected, f"{method} {url} as {role}"
    if expected == 302 and role == "anonymous":
        # Every page sends a stranger to the login page, except the activation steps after the
        # first, which go back to that first step (they are for people without an account).
        start = reverse("onboarding:start") if name in ONBOARDING_STEPS else reverse("accounts:login")
        assert response["Location"].startswith(start)


def page_url_names() -> set[str]:
    names: set[str] = set()

    def walk(resolver, namespace=""):
        for pattern in resolver.url_patterns:
            if isinstance(pattern, URLResolver):
                if pattern.namespace == "api":
                    continue  # the API has its own checks (schemathesis and per-app tests)
                inner = (
                    f"{namespace}:{pattern.namespace}"
                    if namespace and pattern.namespace
                    else (pattern.namespace or namespace)
                )
                walk(pattern, inner)
            elif pattern.name:
                names.add(f"{namespace}:{pattern.name}" if namespace else pattern.name)

    walk(get_resolver())
    return names


def test_every_page_has_a_row():
    covered = {name for _, name in MATRIX}
    assert page_url_names() == covered

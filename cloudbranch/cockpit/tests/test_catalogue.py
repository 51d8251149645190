"""Every metric key of the contract (issue 10, brief "The metric keys") is registered once Django
is set up (the cockpit's AppConfig.ready discovers each app's metrics.py), ratios name registered
metrics, and every source names a model."""

from django.apps import apps
from django.utils.module_loading import autodiscover_modules

from cloudbranch.core.metrics import AREAS, FLOW, STOCK, catalogue

STOCKS = """
structure.full_members structure.probationary_members structure.candidates structure.activists
structure.applicants structure.party_members structure.members_male structure.members_female
structure.members_student structure.members_faculty structure.members_staff structure.members_retiree
structure.age_under_30 structure.age_30_45 structure.age_46_60 structure.age_over_60
structure.edu_postgraduate structure.edu_bachelor structure.edu_other structure.branches
structure.mobile_members structure.lost_contact dues.arrears_members tasks.open_overdue
""".split()
FLOWS = """
development.applications development.activists_new development.candidates_new development.admitted
development.confirmed development.steps_recorded development.steps_on_time
life.meetings_held life.meetings_required life.meetings_met life.attendance_expected life.attendance_present
learning.study_seconds learning.task_assignments learning.task_completed learning.exam_attempts
learning.exam_passed learning.exam_score_sum learning.points dues.expected_fen dues.paid_fen
service.hours service.services service.volunteers service.wishes_fulfilled
tasks.received tasks.completed tasks.completed_on_time
communication.articles_published communication.messages communication.messages_answered
communication.response_hours_sum
""".split()
RATIOS = {
    "development.on_time_rate": ("development.steps_on_time", "development.steps_recorded", 100),
    "life.compliance_rate": ("life.meetings_met", "life.meetings_required", 100),
    "life.attendance_rate": ("life.attendance_present", "life.attendance_expected", 100),
    "learning.task_completion_rate": ("learning.task_completed", "learning.task_assignments", 100),
    "learning.exam_pass_rate": ("learning.exam_passed", "learning.exam_attempts", 100),
    "dues.payment_rate": ("dues.paid_fen", "dues.expected_fen", 100),
    "tasks.on_time_rate": ("tasks.completed_on_time", "tasks.received", 100),
    "communication.answer_rate": ("communication.messages_answered", "communication.messages", 100),
    "learning.exam_average": ("learning.exam_score_sum", "learning.exam_attempts", 1),
    "communication.response_hours": ("communication.response_hours_sum", "communication.messages_answered", 1),
    "service.hours_per_member": ("service.hours", "structure.party_members", 1),
}


def test_every_contract_key_is_registered():
    autodiscover_modules("metrics")  # idempotent; normally done by CockpitConfig.ready()
    cat = catalogue()
    missing = [k for k in [*STOCKS, *FLOWS, *RATIOS] if k not in cat]
    assert missing == []
    for key in STOCKS:
        assert cat[key].kind == STOCK and cat[key].compute and cat[key].compute_dates, key
    for key in FLOWS:
        assert cat[key].kind == FLOW and cat[key].compute and cat[key].compute_months, key
    for key, (num, den, scale) in RATIOS.items():
        m = cat[key]
        assert (m.numerator, m.denominator, m.scale) == (num, den, scale), key
        assert m.compute is None
    for key in [*STOCKS, *FLOWS, *RATIOS]:
        m = cat[key]
        assert m.label and m.description and m.area in AREAS and key.split(".")[0] == m.area, key
        if not m.is_ratio:
            assert m.sources, key
            for label in m.sources:
                apps.get_model(label)

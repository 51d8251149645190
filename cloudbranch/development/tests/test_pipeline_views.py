"""Pipeline views (issue 6 item 4): counts per stage and status, funnels, averages, children,
due list, export, API; scoping (sibling branch 404) and constant query counts."""

import datetime
import io

import openpyxl
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cloudbranch.audit.models import AuditEvent
from cloudbranch.development import pipeline
from cloudbranch.development.choices import CaseStatus, RecordStatus
from cloudbranch.development.models import Case, StepRecord
from cloudbranch.development.state import rule_set_for, rule_steps, sync_case
from cloudbranch.development.tests.factories import make_case
from cloudbranch.people.models import Person
from cloudbranch.testing.factories import PersonFactory, make_unit

D = datetime.timedelta


def _build(world):
    """a1: due soon (application), overdue (sponsors), completed; a2: due soon, candidate;
    b1: probation (oath, admitted), terminated."""
    today = timezone.localdate()
    admin = world.users["admin"]
    c = {}
    c["a1_new"] = make_case(actor=admin, unit=world.branch_a1, applied_on=today - D(10), upto="application")
    c["a1_overdue"] = make_case(actor=admin, unit=world.branch_a1, applied_on=today - D(400), upto="sponsors")
    c["a1_done"] = make_case(actor=admin, unit=world.branch_a1, applied_on=today - D(1000), upto="archive")
    c["a2_new"] = make_case(actor=admin, unit=world.branch_a2, applied_on=today - D(12), upto="application")
    c["a2_candidate"] = make_case(actor=admin, unit=world.branch_a2, applied_on=today - D(500), upto="candidate")
    c["b1_probation"] = make_case(actor=admin, unit=world.branch_b1, applied_on=today - D(700), upto="oath")
    Person.objects.filter(pk=c["b1_probation"].person_id).update(joined_on=today - D(160))
    c["b1_stopped"] = make_case(actor=admin, unit=world.branch_b1, applied_on=today - D(300), upto="talk")
    Case.objects.filter(pk=c["b1_stopped"].pk).update(
        status=CaseStatus.TERMINATED, terminated_on=today, termination_reason="withdrawn"
    )
    # One slower transition: a1_overdue became an activist 90 days after applying (others: 60).
    StepRecord.objects.filter(case=c["a1_overdue"], step__code="activist").update(
        occurred_on=c["a1_overdue"].applied_on + D(90)
    )
    sync_case(c["a1_overdue"])
    for case in c.values():
        case.refresh_from_db()
    return c


def test_milestone_numbers_match_the_2014_rules(db):
    rs = rule_set_for(datetime.date(2020, 1, 1))
    numbers = {s.code: s.number for s in rule_steps(rs.pk)}
    for _key, _label, code, number in pipeline.MILESTONES:
        assert numbers[code] == number
    assert numbers["approval"] == pipeline.PROBATIONARY_STEP


def test_summary_counts_stages_statuses_funnel_and_children(world):
    c = _build(world)
    today = timezone.localdate()
    s = pipeline.pipeline_summary(world.root, today=today)
    t = s.totals
    assert t.stages == {1: 2, 2: 1, 3: 1, 4: 0, 5: 1}
    assert t.open == 5
    assert t.terminated == 1
    assert t.completed == (1 if c["a1_done"].completed_on.year == today.year else 0)
    assert t.overdue == Case.objects.filter(status="open", next_due_on__lt=today).count() >= 1
    assert t.due_soon == 2  # the two new applicants' talks
    assert t.new_probationary == (1 if (today - D(160)).year == today.year else 0)
    # milestones: all 7 applied; activist: overdue, done, candidate, probation; candidate: done,
    # candidate, probation; probationary: done, probation; full: done
    assert t.funnel == {"applicant": 7, "activist": 4, "candidate": 3, "probationary": 2, "full": 1}
    assert [r["rate"] for r in t.funnel_rows()][:2] == [100.0, round(4 * 100 / 7, 1)]
    rows = {r.unit.code if r.unit else None: r.counts for r in s.rows}
    assert set(rows) == {"CA", "CB"}
    assert rows["CA"].open == 4 and rows["CA"].stages[1] == 2
    assert rows["CB"].open == 1 and rows["CB"].terminated == 1
    # funnel restricted to an application year
    year = (today - D(10)).year
    fy = pipeline.pipeline_summary(world.root, today=today, funnel_year=year).totals.funnel
    expected = sum(1 for case in c.values() if case.applied_on.year == year)
    assert fy["applicant"] == expected


def test_summary_of_a_branch_counts_own_cases_as_own_row(world):
    _build(world)
    s = pipeline.pipeline_summary(world.branch_a1)
    # group_a1 is a child with no case; the branch's own cases form the 本级 row
    assert [r.unit.code if r.unit else None for r in s.rows] == ["CA01G1", None]
    assert s.totals.open == 2 and s.rows[-1].counts.open == 2
    assert s.totals.funnel["applicant"] == 3


def test_stage_durations_in_sql(world):
    c = _build(world)
    # a voided "to" record does not count
    StepRecord.objects.filter(case=c["a2_candidate"], step__code="candidate").update(status=RecordStatus.VOIDED)
    sync_case(c["a2_candidate"])  # as record_void does
    # a case completed long before the window adds nothing
    old = make_case(
        actor=world.users["admin"], unit=world.branch_b1, applied_on=timezone.localdate() - D(2500), upto="archive"
    )
    assert old.status == CaseStatus.COMPLETED
    # another tree: the root is no longer the whole tree, its cases stay out
    other = make_unit(name="另一所大学党委", code="OTHER")
    make_case(
        actor=world.users["admin"],
        unit=make_unit(parent=other),
        applied_on=timezone.localdate() - D(400),
        upto="sponsors",
    )
    assert not pipeline.is_sole_root(world.root)
    d = {x.key: x for x in pipeline.stage_durations(world.root)}
    assert d["application_activist"].cases == 4  # overdue, done, candidate, probation
    assert d["application_activist"].days == 67.5  # (90 + 60 + 60 + 60) / 4
    assert d["activist_candidate"].cases == 2  # done, probation (a2's candidate voided)
    assert d["activist_candidate"].days == 370.0
    assert d["candidate_probationary"].cases == 2 and d["candidate_probationary"].days == 150.0
    assert d["probationary_full"].cases == 1 and d["probationary_full"].days == 350.0
    assert pipeline.stage_durations(other)[0].cases == 1
    # scoped: branch a2 only has its applicant's transitions (none) and the voided candidate
    d2 = {x.key: x for x in pipeline.stage_durations(world.branch_a2)}
    assert d2["application_activist"].cases == 1 and d2["activist_candidate"].cases == 0
    assert d2["activist_candidate"].days is None


def test_freshman_funnel_by_student_number_prefix(world):
    for i in range(10):
        PersonFactory(
            unit=world.branch_a1,
            category="student",
            staff_number=f"2025{i:06d}",
            political_status="applicant" if i < 9 else "masses",
            applied_on=datetime.date(2025, 10, 1) if i < 9 else None,
            activist_on=datetime.date(2026, 5, 1) if i < 2 else None,
            candidate_on=None,
            joined_on=None,
            confirmed_on=None,
        )
    PersonFactory(unit=world.branch_a1, category="faculty", staff_number="2025000777")  # not a student
    PersonFactory(unit=world.branch_a1, category="student", staff_number="2024000001")  # other cohort
    PersonFactory(unit=world.branch_a2, category="student", staff_number="2025999999", applied_on=None, joined_on=None)
    f = pipeline.freshman_funnel(world.root, 2025)
    assert f.students == 11
    assert f.counts == {"applied": 9, "activist": 2, "candidate": 0, "probationary": 0}
    a1 = pipeline.freshman_funnel(world.branch_a1, 2025)
    assert a1.students == 10 and a1.rows()[1]["rate"] == 90.0


def test_overdue_counts_roll_up(world):
    c = _build(world)
    today = timezone.localdate()
    counts = pipeline.overdue_counts([world.root, world.college_a, world.branch_a1, world.branch_a2], today=today)
    overdue = [x for x in c.values() if x.status == "open" and x.next_due_on and x.next_due_on < today]
    in_a1 = sum(1 for x in overdue if x.person.unit_id == world.branch_a1.pk)
    assert counts[world.root.pk] == len(overdue)
    assert counts[world.branch_a1.pk] == in_a1 >= 1
    assert counts[world.college_a.pk] >= counts[world.branch_a1.pk] + counts[world.branch_a2.pk] - 0
    assert pipeline.overdue_counts([]) == {}


# --- pages ---------------------------------------------------------------------------------------


def test_pipeline_page_admin_and_secretary_scope(world, login):
    _build(world)
    client = login(world.users["admin"])
    r = client.get(reverse("development:pipeline"))
    assert r.status_code == 200
    html = r.content.decode()
    assert "发展概况" in html and "计算机学院党委" in html and "数学学院党委" in html
    assert 'data-testid="total-open">5<' in html
    assert "按学号前四位识别入学年级" in html
    assert "vendor/echarts/echarts.min.js" in html

    client = login(world.users["secretary1"])
    r = client.get(reverse("development:pipeline"))  # default: the top granted unit (branch a1)
    assert r.status_code == 200
    assert r.context["unit"] == world.branch_a1
    assert r.context["totals"].open == 2
    assert r.context["totals"].funnel["applicant"] == 3
    assert "计算机本科第二党支部" not in r.content.decode()
    for unit in (world.branch_a2, world.college_a, world.branch_b1):
        assert client.get(reverse("development:pipeline") + f"?unit={unit.pk}").status_code == 404
        assert client.get(reverse("development:due") + f"?unit={unit.pk}").status_code == 404
        assert client.get(reverse("development:pipeline_export") + f"?unit={unit.pk}").status_code == 404
        assert client.get(f"/api/development/pipeline?unit={unit.pk}").status_code == 404
        assert client.get(f"/api/development/due?unit={unit.pk}").status_code == 404
    assert client.get(reverse("development:pipeline") + "?unit=abc").status_code == 404


def test_member_without_grant_gets_403(world, login):
    client = login(world.users["member1"])
    for url in (reverse("development:pipeline"), reverse("development:due"), reverse("development:pipeline_export")):
        assert client.get(url).status_code == 403
    assert client.get("/api/development/pipeline").status_code == 403
    assert client.get("/api/development/due").status_code == 403


def test_visible_unit_without_view_case_is_403(world, login):
    """An officer who sees the branch (member role) but holds view_case only in a group below."""
    from cloudbranch.orgs.roles import Role
    from cloudbranch.testing.factories import UserFactory, grant

    user = UserFactory()
    grant(user, world.branch_a1, Role.MEMBER)
    grant(user, world.group_a1, Role.BRANCH_SECRETARY)
    client = login(user)
    assert client.get(reverse("development:pipeline") + f"?unit={world.branch_a1.pk}").status_code == 403
    assert client.get(reverse("development:pipeline") + f"?unit={world.group_a1.pk}").status_code == 200


def test_due_list_page(world, login):
    c = _build(world)
    client = login(world.users["admin"])
    r = client.get(reverse("development:due") + f"?unit={world.root.pk}")
    assert r.status_code == 200
    rows = r.context["page"].object_list
    ids = [row.case.pk for row in rows]
    assert c["a1_new"].pk in ids and c["a2_new"].pk in ids and c["a1_overdue"].pk in ids
    assert c["a1_done"].pk not in ids and c["b1_stopped"].pk not in ids
    dues = [row.case.next_due_on for row in rows]
    assert dues == sorted(dues)
    new = next(row for row in rows if row.case.pk == c["a1_new"].pk)
    assert new.step_name == "党组织派人谈话" and new.step_number == 2
    assert new.days_left == (c["a1_new"].next_due_on - timezone.localdate()).days
    html = r.content.decode()
    assert "党组织派人谈话" in html and "逾期" in html
    # only overdue
    r = client.get(reverse("development:due") + f"?unit={world.root.pk}&within=0")
    assert all(row.overdue for row in r.context["page"].object_list)
    assert c["a1_new"].pk not in [row.case.pk for row in r.context["page"].object_list]
    # HTMX page fragment
    r = client.get(reverse("development:due") + f"?unit={world.root.pk}&page=1", HTTP_HX_REQUEST="true")
    assert r.status_code == 200 and "<html" not in r.content.decode()
    # secretary1 sees only a1 rows
    client = login(world.users["secretary1"])
    r = client.get(reverse("development:due"))
    assert {row.case.person.unit_id for row in r.context["page"].object_list} == {world.branch_a1.pk}


def test_export_opens_and_has_the_numbers(world, login):
    _build(world)
    client = login(world.users["admin"])
    r = client.get(reverse("development:pipeline_export") + f"?unit={world.root.pk}")
    assert r.status_code == 200
    assert r["Content-Type"].startswith("application/vnd.openxmlformats")
    wb = openpyxl.load_workbook(io.BytesIO(r.content))
    assert wb.sheetnames == ["发展概况", "发展漏斗", "新生漏斗", "平均用时", "下级组织对比", "到期与逾期"]
    overview = {row[0]: row[1] for row in wb["发展概况"].iter_rows(min_row=4, values_only=True)}
    assert overview["进行中合计"] == 5
    assert overview["进行中 · 申请入党"] == 2
    funnel = {row[0]: row[1] for row in wb["发展漏斗"].iter_rows(min_row=3, values_only=True)}
    assert funnel["递交入党申请"] == 7 and funnel["转为正式党员"] == 1
    children = list(wb["下级组织对比"].iter_rows(values_only=True))
    assert children[1][0] == "计算机学院党委" and children[1][6] == 4
    assert children[-1][0] == "合计" and children[-1][6] == 5
    durations = {row[0]: row[2] for row in wb["平均用时"].iter_rows(min_row=3, values_only=True)}
    assert durations["申请入党 → 入党积极分子"] == 67.5
    due = list(wb["到期与逾期"].iter_rows(min_row=2, values_only=True))
    assert len(due) == 3
    assert AuditEvent.objects.filter(action="development.pipeline.export").count() == 1


def test_api_pipeline_and_due(world, login):
    c = _build(world)
    client = login(world.users["admin"])
    r = client.get(f"/api/development/pipeline?unit={world.root.pk}")
    assert r.status_code == 200
    body = r.json()
    assert body["unit"]["id"] == world.root.pk
    assert [s["count"] for s in body["stages"]] == [2, 1, 1, 0, 1]
    assert [m["count"] for m in body["funnel"]] == [7, 4, 3, 2, 1]
    assert body["freshman"]["note"] == "按学号前四位识别入学年级"
    assert {a["key"]: a["days"] for a in body["averages"]}["application_activist"] == 67.5
    assert [ch["unit"]["name"] for ch in body["children"]] == ["计算机学院党委", "数学学院党委"]
    assert body["children"][0]["counts"]["open"] == 4

    r = client.get(f"/api/development/due?unit={world.root.pk}&within=30")
    assert r.status_code == 200
    body = r.json()
    assert body["count"] == 3
    first = body["items"][0]
    assert first["overdue"] is True and first["days_left"] < 0
    assert {i["case_id"] for i in body["items"]} == {c["a1_new"].pk, c["a2_new"].pk, c["a1_overdue"].pk}
    talk = next(i for i in body["items"] if i["case_id"] == c["a1_new"].pk)
    assert talk["step_name"] == "党组织派人谈话" and talk["step_code"] == "talk"

    client = login(world.users["secretary2"])
    r = client.get("/api/development/due")
    assert {i["case_id"] for i in r.json()["items"]} == {c["a2_new"].pk}


# --- query counts --------------------------------------------------------------------------------


def _more_cases(world, n_branches: int, per_branch: int):
    today = timezone.localdate()
    admin = world.users["admin"]
    for i in range(n_branches):
        branch = make_unit(parent=world.college_b, name=f"新支部{i}")
        for j in range(per_branch):
            make_case(actor=admin, unit=branch, applied_on=today - D(20 + 150 * j), upto="sponsors" if j else "talk")


def test_query_counts_constant_as_rows_grow(world, login):
    _build(world)
    admin_urls = [
        reverse("development:pipeline") + f"?unit={world.root.pk}",
        reverse("development:pipeline") + f"?unit={world.college_b.pk}&funnel_year=2025",
        reverse("development:due") + f"?unit={world.root.pk}&within=400",
        "/api/development/pipeline",
        "/api/development/due?within=400",
        reverse("development:pipeline_export") + f"?unit={world.root.pk}",
    ]

    def counts(user, urls):
        client = login(user)
        found = []
        for url in urls:
            client.get(url)  # warm: rule steps cache
            with CaptureQueriesContext(connection) as ctx:
                assert client.get(url).status_code == 200
            found.append(len(ctx))
        return found

    before = counts(world.users["admin"], admin_urls)
    secretary_urls = [reverse("development:pipeline"), reverse("development:due")]
    before_secretary = counts(world.users["secretary1"], secretary_urls)
    _more_cases(world, n_branches=8, per_branch=4)
    assert counts(world.users["admin"], admin_urls) == before
    assert counts(world.users["secretary1"], secretary_urls) == before_secretary
    # Pinned. Every request: session, user, grants, unit; base.html's navbar adds its own. Page:
    # + children, summary (ONE grouped query), picker units, freshman funnel (the averages are
    # cached after the first request; overdue_counts only runs for ancestors above the unit, so the
    # college page has one more). Due list: + count, page (step names from the cached rule data).
    # Export: the selectors, averages afresh (sole root? + step ids + aggregate), due rows, audit.
    assert before == [9, 10, 7, 7, 6, 15]  # the export writes an audit row: +2 for the chain head
    assert before_secretary == [9, 7]

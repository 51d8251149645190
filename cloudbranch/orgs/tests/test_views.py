"""Pages: status per role, scoped visibility, forms with 422 and nothing written on error."""

import pytest
from django.urls import reverse

from cloudbranch.orgs.choices import UnitKind, UnitStatus
from cloudbranch.orgs.models import OrgUnit, RoleAssignment, UnitEvent
from cloudbranch.orgs.roles import Role
from cloudbranch.testing.factories import UserFactory, make_unit

ROLES = ("anonymous", "member1", "secretary1", "secretary2", "admin", "secadmin")

# status for each role in ROLES order; the unit is branch_a1 unless the name says otherwise
MATRIX = {
    "tree": (302, 200, 200, 200, 200, 403),
    "tree_children": (302, 200, 200, 404, 200, 404),
    "unit_detail": (302, 200, 200, 404, 200, 404),
    "unit_create": (302, 403, 200, 404, 200, 404),
    "unit_edit": (302, 403, 403, 404, 200, 404),
    "unit_move": (302, 403, 403, 404, 200, 404),
    "unit_merge": (302, 403, 403, 404, 200, 404),
    "unit_dissolve": (302, 403, 403, 404, 200, 404),
    "roles": (302, 403, 403, 403, 403, 200),
}


def url_for(name, world):
    if name in ("tree", "roles"):
        return reverse(f"orgs:{name}")
    return reverse(f"orgs:{name}", args=[world.branch_a1.pk])


@pytest.mark.parametrize(
    ("name", "role", "expected"),
    [pytest.param(n, r, row[i], id=f"{n}[{r}]") for n, row in MATRIX.items() for i, r in enumerate(ROLES)],
)
def test_page_status(client, world, name, role, expected):
    if role != "anonymous":
        client.force_login(world.users[role])
    assert client.get(url_for(name, world)).status_code == expected


def test_every_orgs_page_has_a_row():
    from cloudbranch.orgs import urls

    names = {p.name for p in urls.urlpatterns}
    assert names - set(MATRIX) == {"unit_pick", "role_grant", "role_revoke"}


def test_tree_starts_at_the_users_top_units(login, world):
    body = login(world.users["member1"]).get(reverse("orgs:tree")).content.decode()
    assert world.branch_a1.name in body
    assert world.college_a.name not in body and world.branch_a2.name not in body
    body = login(world.users["admin"]).get(reverse("orgs:tree")).content.decode()
    assert world.root.name in body
    assert reverse("orgs:tree_children", args=[world.root.pk]) in body


def test_tree_children_fragment_lists_children_with_counts(login, world):
    make_unit(parent=world.college_a, name="已撤销支部", code="DX", status=UnitStatus.DISSOLVED)
    client = login(world.users["admin"])
    body = client.get(reverse("orgs:tree_children", args=[world.college_a.pk])).content.decode()
    assert world.branch_a1.name in body and world.branch_a2.name in body
    assert "已撤销支部" not in body
    assert reverse("orgs:tree_children", args=[world.branch_a1.pk]) in body  # a1 has a group: expandable
    assert reverse("orgs:tree_children", args=[world.branch_a2.pk]) not in body  # leaf
    body = client.get(reverse("orgs:tree_children", args=[world.college_a.pk]) + "?closed=1").content.decode()
    assert "已撤销支部" in body and "已撤销</span>" in body


def test_tree_children_load_more(login, world):
    for i in range(55):
        make_unit(parent=world.college_b, code=f"M{i:03d}", name=f"批量支部{i:03d}")
    client = login(world.users["admin"])
    url = reverse("orgs:tree_children", args=[world.college_b.pk])
    first = client.get(url).content.decode()
    assert "加载更多" in first and "?page=2" in first
    second = client.get(url + "?page=2").content.decode()
    assert "加载更多" not in second
    assert "批量支部054" in second and "批量支部000" not in second


def test_search_shows_ancestry_within_scope(login, world):
    client = login(world.users["admin"])
    body = client.get(reverse("orgs:tree"), {"q": "CA01"}).content.decode()
    assert world.branch_a1.name in body and world.group_a1.name in body
    assert world.college_a.name in body  # ancestry shown
    body = client.get(reverse("orgs:tree"), {"q": "党支部"}, HTTP_HX_REQUEST="true").content.decode()
    assert '<div id="search-results">' in body and "<html" not in body
    assert world.branch_b1.name in body
    # member1 sees nothing outside his branch, and not the names above it
    body = login(world.users["member1"]).get(reverse("orgs:tree"), {"q": "党"}).content.decode()
    assert world.branch_a1.name in body
    assert world.branch_a2.name not in body and world.college_a.name not in body


def test_detail_shows_actions_only_when_allowed(login, world):
    url = reverse("orgs:unit_detail", args=[world.branch_a1.pk])
    edit = reverse("orgs:unit_edit", args=[world.branch_a1.pk])
    create = reverse("orgs:unit_create", args=[world.branch_a1.pk])
    body = login(world.users["member1"]).get(url).content.decode()
    assert edit not in body and create not in body
    assert world.group_a1.name in body
    assert world.college_a.name not in body  # parent outside his scope: no breadcrumb
    body = login(world.users["secretary1"]).get(url).content.decode()
    assert create in body and edit not in body
    body = login(world.users["admin"]).get(url).content.decode()
    assert edit in body and reverse("orgs:unit_merge", args=[world.branch_a1.pk]) in body
    assert reverse("people:unit_summary", args=[world.branch_a1.pk]) in body
    assert world.college_a.name in body  # breadcrumb
    root = login(world.users["admin"]).get(reverse("orgs:unit_detail", args=[world.root.pk])).content.decode()
    assert reverse("orgs:unit_move", args=[world.root.pk]) not in root


def test_detail_shows_history(login, world):
    client = login(world.users["admin"])
    client.post(reverse("orgs:unit_edit", args=[world.branch_a2.pk]), _unit_form(world.branch_a2, name="新名称"))
    body = client.get(reverse("orgs:unit_detail", args=[world.branch_a2.pk])).content.decode()
    assert "信息变更" in body and "名称：计算机本科第二党支部 → 新名称" in body


def _unit_form(unit, **overrides):
    data = {
        "code": unit.code,
        "name": unit.name,
        "kind": unit.kind,
        "sort_order": unit.sort_order,
        "founded_on": "",
        "term_years": unit.term_years,
        "term_started_on": "",
        "description": unit.description,
    }
    data.update(overrides)
    return data


def test_create_page_creates_and_redirects(login, world):
    client = login(world.users["secretary1"])
    resp = client.post(
        reverse("orgs:unit_create", args=[world.branch_a1.pk]),
        {"code": "CA01G2", "name": "第二党小组", "kind": UnitKind.GROUP, "term_years": 3, "founded_on": "2024-09-01"},
    )
    unit = OrgUnit.objects.get(code="CA01G2")
    assert resp.status_code == 302 and resp["Location"] == reverse("orgs:unit_detail", args=[unit.pk])
    assert unit.parent_id == world.branch_a1.pk


def test_create_page_domain_error_is_422_with_message_and_nothing_written(login, world):
    client = login(world.users["admin"])
    before = OrgUnit.objects.count()
    resp = client.post(
        reverse("orgs:unit_create", args=[world.college_a.pk]),
        {"code": "CA02", "name": "重复编码", "kind": UnitKind.BRANCH, "term_years": 3},
    )
    assert resp.status_code == 422
    body = resp.content.decode()
    assert "请检查填写的内容。" in body and "invalid-feedback" in body and "is-invalid" in body
    assert OrgUnit.objects.count() == before
    assert not UnitEvent.objects.exists()


def test_create_page_kind_choices_follow_parent(login, world):
    client = login(world.users["admin"])
    resp = client.post(
        reverse("orgs:unit_create", args=[world.branch_a1.pk]),
        {"code": "ZZ", "name": "支部下的支部", "kind": UnitKind.BRANCH, "term_years": 3},
    )
    assert resp.status_code == 422
    assert not OrgUnit.objects.filter(code="ZZ").exists()


def test_edit_page(login, world):
    client = login(world.users["admin"])
    url = reverse("orgs:unit_edit", args=[world.branch_a2.pk])
    assert world.branch_a2.code in client.get(url).content.decode()
    resp = client.post(url, _unit_form(world.branch_a2, code="CA01"))
    assert resp.status_code == 422
    body = resp.content.decode()
    assert ("已存在" in body or "已被使用" in body) and "is-invalid" in body
    world.branch_a2.refresh_from_db()
    assert world.branch_a2.code == "CA02"
    resp = client.post(url, _unit_form(world.branch_a2, name="改了", term_started_on="2023-09-01"))
    assert resp.status_code == 302
    world.branch_a2.refresh_from_db()
    assert world.branch_a2.name == "改了" and str(world.branch_a2.term_started_on) == "2023-09-01"


def test_edit_post_by_viewer_is_403_and_outsider_404(login, world):
    url = reverse("orgs:unit_edit", args=[world.branch_a1.pk])
    assert login(world.users["member1"]).post(url, _unit_form(world.branch_a1, name="x")).status_code == 403
    assert login(world.users["secretary2"]).post(url, _unit_form(world.branch_a1, name="x")).status_code == 404
    world.branch_a1.refresh_from_db()
    assert world.branch_a1.name == "计算机本科第一党支部"


def test_move_page(login, world):
    client = login(world.users["admin"])
    url = reverse("orgs:unit_move", args=[world.branch_a1.pk])
    resp = client.post(url, {"parent_code": "CA01G1"})  # own subtree
    assert resp.status_code == 422 and "不能把组织移到它自己" in resp.content.decode()
    resp = client.post(url, {"parent_code": "NOPE"})
    assert resp.status_code == 422 and "找不到该组织编码" in resp.content.decode()
    world.branch_a1.refresh_from_db()
    assert world.branch_a1.parent_id == world.college_a.pk
    assert client.post(url, {"parent_code": "CB"}).status_code == 302
    world.group_a1.refresh_from_db()
    assert world.group_a1.path.startswith(world.college_b.path)


def test_move_to_a_parent_without_add_permission_is_403(login, world):
    boss = UserFactory()
    RoleAssignment.objects.create(user=boss, unit=world.college_a, role=Role.COMMITTEE_SECRETARY)
    RoleAssignment.objects.create(user=boss, unit=world.college_b, role=Role.MEMBER)
    resp = login(boss).post(reverse("orgs:unit_move", args=[world.branch_a1.pk]), {"parent_code": "CB"})
    assert resp.status_code == 403
    world.branch_a1.refresh_from_db()
    assert world.branch_a1.parent_id == world.college_a.pk


def test_unit_pick_lists_candidates(login, world):
    client = login(world.users["admin"])
    body = client.get(reverse("orgs:unit_pick"), {"parent_code": "C", "exclude": world.branch_a1.pk}).content.decode()
    assert 'value="CB"' in body and 'value="CA01"' not in body and 'value="CA01G1"' not in body


def test_merge_page(login, world):
    client = login(world.users["admin"])
    url = reverse("orgs:unit_merge", args=[world.branch_a1.pk])
    resp = client.post(url, {"target_code": "CB"})
    assert resp.status_code == 422 and "只能合并同类型的组织" in resp.content.decode()
    assert client.post(url, {"target_code": "CA02"}).status_code == 302
    world.branch_a1.refresh_from_db()
    assert world.branch_a1.status == UnitStatus.MERGED
    body = client.get(reverse("orgs:unit_detail", args=[world.branch_a1.pk])).content.decode()
    assert "已合并" in body and reverse("orgs:unit_edit", args=[world.branch_a1.pk]) not in body


def test_dissolve_page(login, world):
    client = login(world.users["admin"])
    url = reverse("orgs:unit_dissolve", args=[world.branch_b1.pk])
    resp = client.post(url, {"dissolved_on": "2024-07-01", "reason": "撤并"})
    assert resp.status_code == 422 and "在册人员" in resp.content.decode()
    resp = client.post(url, {"dissolved_on": "", "reason": ""})
    assert resp.status_code == 422
    world.branch_b1.refresh_from_db()
    assert world.branch_b1.status == UnitStatus.ACTIVE
    empty = make_unit(parent=world.college_b, code="E1")
    resp = client.post(reverse("orgs:unit_dissolve", args=[empty.pk]), {"dissolved_on": "2024-07-01", "reason": "撤并"})
    assert resp.status_code == 302
    empty.refresh_from_db()
    assert empty.status == UnitStatus.DISSOLVED


def test_roles_page_grant_filter_revoke(login, world):
    client = login(world.users["secadmin"])
    user = UserFactory(username="newsec")
    resp = client.post(
        reverse("orgs:role_grant"), {"username": "newsec", "unit_code": "CB01", "role": Role.BRANCH_SECRETARY}
    )
    assert resp.status_code == 302
    assignment = RoleAssignment.objects.active().get(user=user)
    body = client.get(reverse("orgs:roles"), {"username": "newsec"}).content.decode()
    assert "newsec" in body and "secretary1" not in body
    body = client.get(reverse("orgs:roles"), {"unit_code": "CA01", "role": Role.MEMBER}).content.decode()
    assert "member1" in body and "secretary1" not in body
    assert client.post(reverse("orgs:role_revoke", args=[assignment.pk])).status_code == 302
    assignment.refresh_from_db()
    assert assignment.revoked_at is not None


def test_roles_page_errors_are_422_and_write_nothing(login, world):
    client = login(world.users["secadmin"])
    before = RoleAssignment.objects.count()
    resp = client.post(reverse("orgs:role_grant"), {"username": "nobody", "unit_code": "CB01", "role": Role.MEMBER})
    assert resp.status_code == 422 and "用户不存在" in resp.content.decode()
    resp = client.post(reverse("orgs:role_grant"), {"username": "auditor", "unit_code": "CB01", "role": Role.MEMBER})
    assert resp.status_code == 422 and "平台管理员" in resp.content.decode()
    resp = client.post(reverse("orgs:role_grant"), {"username": "member1", "unit_code": "CA01", "role": Role.MEMBER})
    assert resp.status_code == 422 and "已在此组织担任该角色" in resp.content.decode()
    assert RoleAssignment.objects.count() == before


def test_roles_writes_are_security_admin_only(login, world):
    client = login(world.users["admin"])
    a = RoleAssignment.objects.get(user=world.users["member1"])
    assert client.post(reverse("orgs:role_revoke", args=[a.pk])).status_code == 403
    resp = client.post(reverse("orgs:role_grant"), {"username": "admin", "unit_code": "U", "role": Role.MEMBER})
    assert resp.status_code == 403
    a.refresh_from_db()
    assert a.revoked_at is None


def test_menu_entries(world):
    from cloudbranch.core.nav import menu_for

    def keys(user):
        return {item["key"] for item in menu_for(user)}

    assert "orgs.tree" in keys(world.users["member1"]) and "orgs.roles" not in keys(world.users["member1"])
    assert "orgs.roles" in keys(world.users["secadmin"]) and "orgs.tree" not in keys(world.users["secadmin"])
    assert not {"orgs.tree", "orgs.roles"} & keys(world.users["auditor"])

"""The member visibility rule (audience.py) and the 404s that follow from it."""

import pytest
from django.urls import reverse

from cloudbranch.learning import audience
from cloudbranch.learning.models import Resource
from cloudbranch.learning.tests.test_resources_support import make_resource, member_at
from cloudbranch.people.models import Person
from cloudbranch.testing.factories import PersonFactory, make_unit

pytestmark = pytest.mark.django_db


def test_subtree_audience_reaches_descendants_only(world):
    author = world.users["secretary1"]
    branch_only = make_resource(world.branch_a1, author, title="一支部学习")
    college = make_resource(world.college_a, author, title="学院学习")
    a1 = world.people["member1"]
    a2 = world.people["a2_person"]
    b1 = world.people["b1_person"]
    group_member = PersonFactory(unit=world.group_a1, name="小组成员")
    visible = lambda p: set(audience.visible_to_person(Resource.objects.all(), p).values_list("pk", flat=True))  # noqa: E731
    assert visible(a1) == {branch_only.pk, college.pk}
    assert visible(group_member) == {branch_only.pk, college.pk}
    assert visible(a2) == {college.pk}  # sibling branch: not the branch-only one
    assert visible(b1) == set()
    assert audience.may_see(a1, branch_only) and not audience.may_see(a2, branch_only)


def test_school_audience_reaches_the_whole_tree(world):
    school = make_resource(world.college_b, world.users["admin"], title="全校学习", audience="school")
    for key in ("member1", "a2_person", "b1_person"):
        person = world.people[key]
        assert audience.may_see(person, school)
        assert audience.visible_to_person(Resource.objects.all(), person).filter(pk=school.pk).exists()
    # another tree (a second university) does not see it
    other_root = make_unit(name="另一所大学党委")
    stranger = PersonFactory(unit=make_unit(parent=other_root))
    assert not audience.may_see(stranger, school)
    assert not audience.visible_to_person(Resource.objects.all(), stranger).exists()


def test_drafts_and_withdrawn_are_invisible_to_members(world):
    author = world.users["secretary1"]
    draft = make_resource(world.branch_a1, author, status="draft")
    withdrawn = make_resource(world.branch_a1, author, status="withdrawn")
    person = world.people["member1"]
    assert not audience.visible_to_person(Resource.objects.filter(pk__in=[draft.pk, withdrawn.pk]), person).exists()
    assert not audience.may_see(person, draft)


def test_viewer_person_is_on_roster_only_and_cached(world, django_assert_num_queries):
    user = world.users["member1"]
    with django_assert_num_queries(1):
        assert audience.viewer_person(user) == world.people["member1"]
        assert audience.viewer_person(user).unit == world.branch_a1
    user2, person2 = member_at(world.branch_a1)
    Person.objects.filter(pk=person2.pk).update(roster_status="transferred_out")
    assert audience.viewer_person(user2) is None
    assert audience.viewer_person(world.users["sysadmin"]) is None


def test_sibling_branch_member_gets_404_on_branch_only_resource(world, login):
    resource = make_resource(world.branch_a1, world.users["secretary1"])
    user_a2, _ = member_at(world.branch_a2)
    client = login(user_a2)
    assert client.get(reverse("learning:resource", args=[resource.pk])).status_code == 404
    assert client.post(reverse("learning:heartbeat", args=[resource.pk])).status_code == 404
    assert client.get(f"/api/learning/resources/{resource.pk}").status_code == 404
    # ...while a member of another college reads a school-wide one
    school = make_resource(world.branch_a1, world.users["secretary1"], audience="school", title="全校资源")
    user_b1, _ = member_at(world.branch_b1)
    assert login(user_b1).get(reverse("learning:resource", args=[school.pk])).status_code == 200


def test_platform_duties_see_no_learning(world, login):
    resource = make_resource(world.root, world.users["admin"], audience="school")
    client = login(world.users["sysadmin"])
    assert client.get(reverse("learning:home")).status_code == 403
    assert client.get(reverse("learning:resource", args=[resource.pk])).status_code == 404

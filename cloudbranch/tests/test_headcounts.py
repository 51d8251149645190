from cloudbranch.people.selectors import _common_path_prefix, unit_headcounts
from cloudbranch.testing.factories import PersonFactory


def test_headcounts_roll_up(world):
    PersonFactory(unit=world.group_a1, political_status="probationary", confirmed_on=None)
    c = unit_headcounts([world.branch_a1.pk, world.branch_a2.pk, world.college_a.pk, world.root.pk, world.group_a1.pk])
    assert c[world.group_a1.pk] == {"full": 0, "members": 1, "people": 1}
    assert c[world.branch_a1.pk] == {"full": 2, "members": 3, "people": 3}
    assert c[world.branch_a2.pk]["full"] == 1
    assert c[world.college_a.pk]["people"] == 4
    assert c[world.root.pk]["people"] == 5
    assert _common_path_prefix(["/1/2/3/", "/1/2/5/"]) == "/1/2/"
    assert _common_path_prefix(["/1/", "/4/"]) == "/"

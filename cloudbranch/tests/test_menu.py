from cloudbranch.core.nav import menu_for


def test_only_the_most_specific_entry_is_active(world):
    items = menu_for(world.users["member1"], "/people/me/")
    active = [i["key"] for i in items if i["active"]]
    assert len(active) == 1 and active[0] != "people"


def test_menu_marks_roster_on_roster_subpages(world):
    items = {i["url"]: i["active"] for i in menu_for(world.users["secretary1"], "/people/42/")}
    assert items["/people/"] is True
    assert sum(items.values()) == 1


def test_home_is_never_marked_by_prefix(world):
    assert not any(i["active"] for i in menu_for(world.users["secretary1"], "/"))

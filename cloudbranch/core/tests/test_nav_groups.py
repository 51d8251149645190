from cloudbranch.core.nav import grouped


def _item(key, group="", active=False):
    return {
        "key": key,
        "label": key,
        "url": f"/{key}/",
        "icon": "bi-x",
        "active": active,
        "personal": False,
        "group": group,
    }


def test_entries_of_a_group_fold_into_one_dropdown_in_place():
    menu = grouped([_item("a"), _item("n1", "宣传"), _item("b"), _item("n2", "宣传", active=True)])
    assert [m.get("key") or m["group"] for m in menu] == ["a", "宣传", "b"]
    group = menu[1]
    assert [i["key"] for i in group["entries"]] == ["n1", "n2"] and group["active"] and group["icon"] == "bi-megaphone"


def test_a_group_with_one_visible_entry_is_shown_as_that_entry():
    assert grouped([_item("a"), _item("n1", "宣传")]) == [_item("a"), _item("n1", "宣传")]

"""Menu entries of service and co-building (registered in ``VolunteeringConfig.ready``)."""

from cloudbranch.core.nav import MenuEntry, register


def _person_or(perm: str):
    def visible(user) -> bool:
        from cloudbranch.orgs.scoping import holds
        from cloudbranch.people.selectors import has_person

        return bool(getattr(user, "is_authenticated", False)) and (holds(user, perm) or has_person(user))

    return visible


def _holds(perm: str):
    def visible(user) -> bool:
        from cloudbranch.orgs.scoping import holds

        return bool(getattr(user, "is_authenticated", False)) and holds(user, perm)

    return visible


def _has_person(user) -> bool:
    from cloudbranch.people.selectors import has_person

    return bool(getattr(user, "is_authenticated", False)) and has_person(user)


def register_entries() -> None:
    group = "服务"
    register(
        MenuEntry(
            "service_posts",
            "志愿服务",
            "volunteering:posts",
            "bi-heart",
            55,
            _person_or("volunteering.view_servicepost"),
            group=group,
        )
    )
    register(
        MenuEntry(
            "service_wishes",
            "微心愿",
            "volunteering:wishes",
            "bi-gift",
            56,
            _person_or("volunteering.view_wish"),
            group=group,
        )
    )
    register(
        MenuEntry(
            "service_partnerships",
            "党建互联",
            "volunteering:partnerships",
            "bi-diagram-2",
            57,
            _holds("volunteering.view_partnership"),
            group=group,
        )
    )
    register(
        MenuEntry(
            "service_stats",
            "服务统计",
            "volunteering:stats",
            "bi-bar-chart",
            58,
            _holds("volunteering.view_report"),
            group=group,
        )
    )
    register(
        MenuEntry(
            "service_mine", "我的志愿服务", "volunteering:my_service", "bi-heart-pulse", 82, _has_person, personal=True
        )
    )

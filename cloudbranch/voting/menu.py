"""Menu entries of democracy and appraisal (registered in ``VotingConfig.ready``)."""

from cloudbranch.core.nav import MenuEntry, register


def _person_or(perm: str):
    def visible(user) -> bool:
        from cloudbranch.orgs.scoping import holds
        from cloudbranch.people.selectors import has_person

        return bool(getattr(user, "is_authenticated", False)) and (holds(user, perm) or has_person(user))

    return visible


def register_entries() -> None:
    group = "民主"
    register(
        MenuEntry(
            "elections",
            "换届选举",
            "voting:elections",
            "bi-check2-square",
            60,
            _person_or("voting.view_election"),
            group=group,
        )
    )
    register(
        MenuEntry(
            "appraisals",
            "民主评议",
            "voting:appraisals",
            "bi-people",
            61,
            _person_or("voting.view_appraisal"),
            group=group,
        )
    )
    register(
        MenuEntry(
            "awards", "评先评优", "voting:awards", "bi-award", 62, _person_or("voting.view_awardround"), group=group
        )
    )

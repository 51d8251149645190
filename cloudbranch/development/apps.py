from django.apps import AppConfig

# People in the pipeline: they follow their own case and write thought reports.
IN_PIPELINE = frozenset({"applicant", "activist", "candidate", "probationary"})


def own_flags(user) -> tuple[str, bool] | None:
    """(political status, is mobile) of the user's own person record, cached on the user object
    (the menu asks on every page: one query per request at most)."""
    if not user.is_authenticated:
        return None
    cached = getattr(user, "_cb_development_flags", False)
    if cached is False:
        from cloudbranch.people.models import Person

        cached = Person.objects.filter(user_id=user.pk).values_list("political_status", "is_mobile").first()
        user._cb_development_flags = cached
    return cached


def in_pipeline(user) -> bool:
    flags = own_flags(user)
    return bool(flags) and flags[0] in IN_PIPELINE


def is_mobile(user) -> bool:
    flags = own_flags(user)
    return bool(flags) and flags[1]


class DevelopmentConfig(AppConfig):
    name = "cloudbranch.development"
    label = "development"
    verbose_name = "发展党员与党员管理"

    def ready(self):
        from cloudbranch.core.nav import MenuEntry, register
        from cloudbranch.orgs.scoping import holds
        from cloudbranch.people.selectors import has_person

        register(
            MenuEntry(
                "development",
                "发展党员",
                "development:cases",
                "bi-person-up",
                35,
                lambda u: holds(u, "development.view_case"),
            )
        )
        register(
            MenuEntry(
                "development_mine",
                "我的入党进度",
                "development:my_case",
                "bi-signpost-2",
                77,
                in_pipeline,
                personal=True,
            )
        )
        register(
            MenuEntry(
                "thought_mine",
                "思想汇报",
                "development:my_reports",
                "bi-journal-richtext",
                78,
                in_pipeline,
                personal=True,
            )
        )
        register(
            MenuEntry("mobile_mine", "流动党员", "development:my_mobile", "bi-geo-alt", 79, is_mobile, personal=True)
        )
        register(MenuEntry("notices", "党内公示", "development:notices", "bi-megaphone", 80, has_person, personal=True))

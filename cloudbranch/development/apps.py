from django.apps import AppConfig

# People in the pipeline: they follow their own case and write thought reports.
IN_PIPELINE = frozenset({"applicant", "activist", "candidate", "probationary"})


def in_pipeline(user) -> bool:
    from cloudbranch.people.selectors import own_flags

    flags = own_flags(user)
    return bool(flags) and flags[0] in IN_PIPELINE


def is_mobile(user) -> bool:
    from cloudbranch.people.selectors import own_flags

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

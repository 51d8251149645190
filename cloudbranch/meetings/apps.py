from django.apps import AppConfig


class MeetingsConfig(AppConfig):
    name = "cloudbranch.meetings"
    label = "meetings"
    verbose_name = "组织生活"

    def ready(self):
        from cloudbranch.core.nav import MenuEntry, register
        from cloudbranch.orgs.scoping import holds
        from cloudbranch.people.selectors import has_person

        register(
            MenuEntry(
                "meetings",
                "组织生活",
                "meetings:list",
                "bi-calendar-event",
                30,
                lambda u: holds(u, "meetings.view_meeting"),
            )
        )
        register(
            MenuEntry(
                "meetings_compliance",
                "合规日历",
                "meetings:compliance",
                "bi-calendar-check",
                32,
                lambda u: holds(u, "meetings.view_compliance"),
            )
        )
        register(
            MenuEntry(
                "meetings_mine",
                "我的会议",
                "meetings:my_meetings",
                "bi-person-check",
                75,
                has_person,
                personal=True,
            )
        )

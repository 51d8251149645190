from django.apps import AppConfig


class PointsConfig(AppConfig):
    name = "cloudbranch.points"
    label = "points"
    verbose_name = "积分"

    def ready(self):
        from cloudbranch.core.nav import MenuEntry, register
        from cloudbranch.orgs.scoping import holds
        from cloudbranch.people.selectors import has_person

        register(MenuEntry("points_mine", "我的积分", "points:mine", "bi-star", 81, has_person, personal=True))
        register(
            MenuEntry(
                "points_ranking",
                "积分排行",
                "points:ranking",
                "bi-trophy",
                46,
                lambda u: has_person(u) or holds(u, "points.view_pointevent"),
                group="学习",
            )
        )

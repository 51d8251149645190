from django.apps import AppConfig


class WorktasksConfig(AppConfig):
    name = "cloudbranch.worktasks"
    label = "worktasks"
    verbose_name = "任务管理"

    def ready(self):
        from cloudbranch.core.nav import MenuEntry, register
        from cloudbranch.orgs.scoping import holds

        register(
            MenuEntry(
                "worktasks",
                "任务管理",
                "worktasks:board",
                "bi-list-check",
                60,
                lambda u: holds(u, "worktasks.view_tasktarget"),
            )
        )

from django.apps import AppConfig


def _sees_tree(user) -> bool:
    from .scoping import holds

    return holds(user, "orgs.view_orgunit")


def _is_security_admin(user) -> bool:
    return getattr(user, "duty", "") == "security"


class OrgsConfig(AppConfig):
    name = "cloudbranch.orgs"
    label = "orgs"
    verbose_name = "党组织"

    def ready(self):
        from cloudbranch.core.nav import MenuEntry, register

        register(
            MenuEntry(
                key="orgs.tree",
                label="组织架构",
                url_name="orgs:tree",
                icon="bi-diagram-3",
                order=10,
                visible=_sees_tree,
            )
        )
        register(
            MenuEntry(
                key="orgs.roles",
                label="角色授权",
                url_name="orgs:roles",
                icon="bi-shield-lock",
                order=90,
                visible=_is_security_admin,
            )
        )

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "cloudbranch.accounts"
    label = "accounts"
    verbose_name = "账号"

    def ready(self):
        from cloudbranch.core.nav import MenuEntry, register

        from . import logins
        from .permissions import is_security_admin, is_system_admin

        logins.connect()

        register(
            MenuEntry(
                key="accounts.users",
                label="账号管理",
                url_name="accounts:users",
                icon="bi-people",
                order=900,
                visible=is_system_admin,
            )
        )
        register(
            MenuEntry(
                key="accounts.security",
                label="登录安全",
                url_name="accounts:security_logins",
                icon="bi-shield-lock",
                order=910,
                visible=is_security_admin,
            )
        )

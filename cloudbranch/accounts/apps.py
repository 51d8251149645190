from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "cloudbranch.accounts"
    label = "accounts"
    verbose_name = "账号"

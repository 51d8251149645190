from django.apps import AppConfig


class OrgsConfig(AppConfig):
    name = "cloudbranch.orgs"
    label = "orgs"
    verbose_name = "党组织"

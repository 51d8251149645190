from django.apps import AppConfig


class CockpitConfig(AppConfig):
    name = "cloudbranch.cockpit"
    label = "cockpit"
    verbose_name = "党建数据座舱"

    def ready(self):
        from django.utils.module_loading import autodiscover_modules

        # Every app's metrics.py and alerts.py register into the catalogues of core.
        autodiscover_modules("metrics")
        autodiscover_modules("alerts")

        from . import dirty, menu

        dirty.connect()
        menu.register_menu()
        menu.register_dashboard_menu()

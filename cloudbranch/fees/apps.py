from django.apps import AppConfig


class FeesConfig(AppConfig):
    name = "cloudbranch.fees"
    label = "fees"
    verbose_name = "党费"

    def ready(self):
        from cloudbranch.core.nav import MenuEntry, register
        from cloudbranch.orgs.scoping import holds
        from cloudbranch.people.selectors import has_person

        register(MenuEntry("fees", "党费", "fees:bills", "bi-cash-coin", 40, lambda u: holds(u, "fees.view_bill")))
        register(MenuEntry("fees_mine", "我的党费", "fees:my_dues", "bi-wallet2", 76, has_person, personal=True))

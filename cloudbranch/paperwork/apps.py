from django.apps import AppConfig


class PaperworkConfig(AppConfig):
    """Official documents filled from the data: .docx templates, generation, bulk .zip."""

    name = "cloudbranch.paperwork"
    label = "paperwork"
    verbose_name = "公文材料"

    def ready(self):
        from cloudbranch.core.nav import MenuEntry, register
        from cloudbranch.orgs.scoping import holds

        register(
            MenuEntry(
                key="paperwork",
                label="公文材料",
                url_name="paperwork:index",
                icon="bi-file-earmark-word",
                order=85,
                visible=lambda user: user.is_authenticated and holds(user, "paperwork.view_documenttemplate"),
                group="数据",
            )
        )

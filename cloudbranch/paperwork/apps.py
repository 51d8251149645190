from django.apps import AppConfig


class PaperworkConfig(AppConfig):
    """Official documents filled from the data: .docx templates, generation, bulk .zip."""

    name = "cloudbranch.paperwork"
    label = "paperwork"
    verbose_name = "公文材料"

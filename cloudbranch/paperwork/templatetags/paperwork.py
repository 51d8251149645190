"""``{% load paperwork %}{% pdf_available as can_pdf %}``: whether documents can also be offered as
PDF (LibreOffice is installed on the server), for the pages that link to a generated document."""

from django import template

from cloudbranch.paperwork import services

register = template.Library()


@register.simple_tag
def pdf_available() -> bool:
    return services.pdf_available()

from django.http import HttpResponse
from django.urls import path

app_name = "notifications"


def _todo(request):
    return HttpResponse("")


urlpatterns = [
    path("", _todo, name="inbox"),
    path("badge/", _todo, name="badge"),
    path("preferences/", _todo, name="preferences"),
]

from django.shortcuts import render

from .selectors import home_for


def home(request):
    return render(request, "portal/home.html", {"home": home_for(request.user)})

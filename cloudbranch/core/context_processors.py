from django.urls import NoReverseMatch, reverse


def navigation(request):
    """Menu entries the user can use (only those); computed lazily so anonymous pages pay nothing."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    def items():
        from cloudbranch.core.nav import menu_for

        return menu_for(user, request.path)

    return {"nav_items": items}


def safe_reverse(name: str) -> str:
    try:
        return reverse(name)
    except NoReverseMatch:
        return "#"

from django.utils.functional import SimpleLazyObject


def navigation(request):
    """Menu entries the user can use (only those), split into the main menu and the user's own
    pages (我的); computed lazily, once, so anonymous pages pay nothing."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    from cloudbranch.core.nav import grouped

    def items():
        from cloudbranch.core.nav import menu_for

        return menu_for(user, request.path)

    menu = SimpleLazyObject(items)
    return {
        "nav_items": SimpleLazyObject(lambda: grouped([i for i in menu if not i["personal"]])),
        "nav_personal": SimpleLazyObject(lambda: [i for i in menu if i["personal"]]),
    }

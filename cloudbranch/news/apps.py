from django.apps import AppConfig


def may_read_news(user) -> bool:
    """党建动态 in the menu: everyone with a person record, and the publishers (news.view_article)."""
    from cloudbranch.orgs.scoping import holds
    from cloudbranch.people.selectors import has_person

    return bool(getattr(user, "is_authenticated", False)) and (holds(user, "news.view_article") or has_person(user))


class NewsConfig(AppConfig):
    name = "cloudbranch.news"
    label = "news"
    verbose_name = "党建动态与党务公开"

    def ready(self):
        from cloudbranch.core.nav import MenuEntry, register
        from cloudbranch.orgs.scoping import holds

        register(MenuEntry("news", "党建动态", "news:articles", "bi-newspaper", 50, may_read_news, group="宣传"))
        register(MenuEntry("news_feed", "活力直播台", "news:feed", "bi-broadcast", 51, may_read_news, group="宣传"))
        register(
            MenuEntry("news_board", "留言板", "news:board", "bi-chat-square-text", 52, may_read_news, group="宣传")
        )
        register(
            MenuEntry(
                "news_moderation",
                "评论审核",
                "news:moderation",
                "bi-shield-check",
                53,
                lambda u: holds(u, "news.moderate_comment"),
                group="宣传",
            )
        )

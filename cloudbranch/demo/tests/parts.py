"""Seeding only the demo parts a test module checks: the others are tested in their own modules,
and a full seed (every area, then the cockpit's recompute) is most of a demo test's time."""

from cloudbranch.demo import seeding


def keep_only(m, *parts: str) -> None:
    """With ``m`` a monkeypatch (or its context), skip every domain part of the seed but ``parts``
    (names from ``seeding.PARTS``: "life", "fees", ...)."""
    unknown = set(parts) - set(seeding.PARTS)
    if unknown:
        raise ValueError(f"unknown demo parts: {sorted(unknown)}")
    for part in seeding.PARTS:
        if part not in parts:
            m.setattr(seeding, f"_seed_{part}", lambda root, **kw: (None, False))


def module_seed(*parts: str, seed, media: str):
    """The fixtures of a demo test module that checks ``parts``: ``_media`` (a temporary media
    folder for the module), ``_only_these_parts`` (autouse: every test seeds only ``parts``) and
    ``_seed_of_the_module`` (one ``seed()`` for the tests that only read it, rolled back after the
    module; each test runs in a savepoint of its own). Bind them at module level:
    ``_media, _only_these_parts, _seed_of_the_module = module_seed("tasks", seed=seed, media="tasks")``."""
    import pytest
    from django.db import transaction
    from django.test import override_settings

    @pytest.fixture(scope="module", name="_media")
    def media_fixture(tmp_path_factory):
        return tmp_path_factory.mktemp(f"{media}-media")

    @pytest.fixture(autouse=True, name="_only_these_parts")
    def only_fixture(monkeypatch, settings, _media):
        keep_only(monkeypatch, *parts)
        settings.MEDIA_ROOT = _media

    @pytest.fixture(scope="module", name="_seed_of_the_module")
    def seed_fixture(django_db_setup, django_db_blocker, _media):
        with django_db_blocker.unblock(), pytest.MonkeyPatch.context() as m, override_settings(MEDIA_ROOT=_media):
            keep_only(m, *parts)
            with transaction.atomic():
                yield seed()
                transaction.set_rollback(True)

    return media_fixture, only_fixture, seed_fixture

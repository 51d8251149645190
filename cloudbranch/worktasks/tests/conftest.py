import pytest


@pytest.fixture(autouse=True)
def _notify_at_once(monkeypatch):
    """Notifications are deferred to the commit, which a test's transaction never reaches: send them at once."""
    from cloudbranch.worktasks import tasks

    monkeypatch.setattr(tasks, "_later", lambda fn: fn())

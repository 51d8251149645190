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

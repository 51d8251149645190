"""The onboarding part of the demo: the app's own seed (an invitation batch already sent) and the
roster people a newcomer can try /activate/ with."""

from cloudbranch.onboarding.demo import activation_candidates, has_onboarding, seed

__all__ = ["activation_candidates", "has_onboarding", "seed"]

"""core has no models; this module exists so that Django sends post_migrate for core (see apps.py)."""

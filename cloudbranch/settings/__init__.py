"""Settings package: ``base`` holds everything; ``dev``, ``test`` and ``prod`` adjust it.

``DJANGO_SETTINGS_MODULE=cloudbranch.settings`` picks the module named by
``CLOUDBRANCH_ENV`` (``dev`` when unset, so a fresh checkout needs no environment).
"""

import os

_env = os.environ.get("CLOUDBRANCH_ENV", "dev")
if _env == "prod":
    from .prod import *  # noqa: F403
elif _env == "test":
    from .test import *  # noqa: F403
else:
    from .dev import *  # noqa: F403

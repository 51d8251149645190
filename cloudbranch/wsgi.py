import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cloudbranch.settings")
# Served by a WSGI server means production unless the environment says otherwise.
os.environ.setdefault("CLOUDBRANCH_ENV", "prod")

application = get_wsgi_application()

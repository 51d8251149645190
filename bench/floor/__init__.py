"""The floor: a bare Django + django-ninja app that `make bench` loads beside CloudBranch (bench/README.md)."""

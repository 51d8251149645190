"""One mechanism for who may see and do what, where.

A ``RoleAssignment`` at unit ``/1/7/`` grants its role's permissions over every object whose
scope path starts with ``/1/7/``. Every list that reaches a user goes through
``Model.objects.restrict(user, action)``; a detail lookup outside scope is a 404, so nobody
learns that an object exists outside their subtrees. There is no superuser bypass: the
platform duties (system, security, audit administrator) see no Party data at all.
"""

from __future__ import annotations

from collections import defaultdict
from functools import reduce, wraps
from operator import or_

from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Q
from django.http import Http404


def _load_grants(user) -> dict[str, tuple[str, ...]]:
    from .models import RoleAssignment
    from .roles import ROLE_PERMISSIONS

    grants: dict[str, set[str]] = defaultdict(set)
    rows = (
        RoleAssignment.objects.active().filter(user_id=user.pk, unit__status="active").values_list("role", "unit__path")
    )
    for role, path in rows:
        for perm in ROLE_PERMISSIONS.get(role, ()):
            grants[perm].add(path)
    return {perm: _minimal_prefixes(paths) for perm, paths in grants.items()}


def _minimal_prefixes(paths) -> tuple[str, ...]:
    """Drop paths already covered by a shorter one: /1/ covers /1/7/."""
    kept: list[str] = []
    for p in sorted(paths, key=len):
        if not any(p.startswith(k) for k in kept):
            kept.append(p)
    return tuple(sorted(kept))


def grants_of(user) -> dict[str, tuple[str, ...]]:
    """All permissions the user holds and where; one query per user object (i.e. per request)."""
    if user is None or not user.is_authenticated:
        return {}
    cached = getattr(user, "_cb_grants", None)
    if cached is None:
        cached = _load_grants(user)
        user._cb_grants = cached
    return cached


def forget_grants(user) -> None:
    if hasattr(user, "_cb_grants"):
        del user._cb_grants


def granted_prefixes(user, perm: str) -> tuple[str, ...]:
    return grants_of(user).get(perm, ())


def holds(user, perm: str) -> bool:
    """Whether the user holds ``perm`` anywhere in the tree."""
    return bool(granted_prefixes(user, perm))


def can(user, perm: str, unit) -> bool:
    """Whether the user holds ``perm`` at ``unit`` (through a role at it or an ancestor)."""
    prefixes = granted_prefixes(user, perm)
    return bool(prefixes) and unit.path.startswith(prefixes)


def _perm_for(model, action: str) -> str:
    opts = model._meta
    return action if "." in action else f"{opts.app_label}.{action}_{opts.model_name}"


def scope_q(lookup: str, prefixes: tuple[str, ...]) -> Q:
    return reduce(or_, (Q(**{f"{lookup}__startswith": p}) for p in prefixes))


class ScopedQuerySet(models.QuerySet):
    def restrict(self, user, action: str = "view"):
        """Only the rows ``user`` may ``action``; ``action`` is a verb or a full permission name."""
        prefixes = granted_prefixes(user, _perm_for(self.model, action))
        if not prefixes:
            return self.none()
        return self.filter(scope_q(self.model.scope_path, prefixes))


def access_by_id(user, model, pk, *, action: str = "view", queryset=None, view: str = "view"):
    """Fetch an object the user may see, or raise Http404; raise PermissionDenied if seen but not ``action``-able.

    ``view`` is the permission that makes the object visible: the model's own ``view_<model>``
    by default, or a full name for objects that belong to another (a step record is seen with
    ``development.view_case``)."""
    qs = queryset if queryset is not None else model.objects.all()
    try:
        obj = qs.restrict(user, view).get(pk=pk)
    except (model.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    if action not in ("view", view):
        perm = _perm_for(model, action)
        path = obj
        for part in model.scope_path.split("__"):
            path = getattr(path, part)
        if not path.startswith(granted_prefixes(user, perm) or ("\0",)):
            raise PermissionDenied
    return obj


def requires_grant(perm: str):
    """View decorator: 403 unless the user holds ``perm`` somewhere (what they see is scoped later)."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not holds(request.user, perm):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorator

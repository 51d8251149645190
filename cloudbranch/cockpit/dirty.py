"""Dirty marks: when a source model of a metric changes, the units it belongs to are stale.

For every ``{"app.Model": path}`` in any registered metric's ``sources`` (and for ``OrgUnit``
itself: a unit that changes, and its old parent when it moves), ``post_save`` / ``post_delete``
insert the unit ids into ``DirtyUnit`` on commit (``transaction.on_commit``, robust: a failed mark
never breaks the write; conflicts ignored). ``engine.recompute_dirty`` (the ``recompute_dirty_task``
or ``manage.py metrics_recompute``, run every few minutes by cron) then recomputes those units.

Paths (see ``core.metrics``): ``"unit_id"`` — an attribute of the instance; ``"person.unit_id"``
(or ``"person__unit_id"``) — a walk along foreign keys. No query is made while saving: cached
relations are followed, anything else is looked up in the on-commit callback.
For a one-attribute path the value the instance had when it was loaded is kept (``post_init``,
no query), so a person moved from unit A to unit B marks both A and B; for a dotted path only the
current unit is marked — the nightly full recompute corrects the old one.

Bulk operations (``QuerySet.update``/``delete``, ``bulk_create``, raw SQL) send no signals: the
nightly full recompute covers them.
"""

from __future__ import annotations

import logging
from collections import defaultdict

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import transaction
from django.db.models.signals import post_delete, post_init, post_save

from cloudbranch.core import metrics as catalogue_mod

from .models import DirtyUnit

log = logging.getLogger(__name__)

ORIGINAL = "_cb_metric_original"

# Units themselves: a changed unit is dirty (its status/kind may count), and when it moves its old
# parent is dirty too (the old ancestors' totals lose its subtree).
TREE_SOURCES = {"orgs.OrgUnit": ("id", "parent_id")}

# {model class: tuple of paths (each a tuple of attribute names)}
_connected: dict[type, tuple[tuple[str, ...], ...]] = {}


def parse(path: str) -> tuple[str, ...]:
    return tuple(path.replace("__", ".").split("."))


def source_paths() -> dict[str, set[str]]:
    """{"app.Model": {paths}} of every registered metric plus the tree itself."""
    out: dict[str, set[str]] = defaultdict(set)
    for metric in catalogue_mod.catalogue().values():
        for label, path in metric.sources.items():
            out[label].add(path)
    for label, paths in TREE_SOURCES.items():
        out[label].update(paths)
    return out


def connect() -> None:
    """Listen to every source model (idempotent: call again after registering metrics)."""
    for label, paths in source_paths().items():
        try:
            model = apps.get_model(label)
        except (LookupError, ValueError):
            log.warning("metric source %s is not a model; ignored", label)
            continue
        parsed = tuple(sorted({parse(p) for p in paths}))
        if _connected.get(model) == parsed:
            continue
        _connected[model] = parsed
        uid = f"cockpit.dirty.{label}"
        post_init.connect(_remember, sender=model, dispatch_uid=uid, weak=False)
        post_save.connect(_saved, sender=model, dispatch_uid=uid, weak=False)
        post_delete.connect(_deleted, sender=model, dispatch_uid=uid, weak=False)


def disconnect(label: str) -> None:
    """Stop listening to a model (tests)."""
    model = apps.get_model(label)
    _connected.pop(model, None)
    uid = f"cockpit.dirty.{label}"
    for signal in (post_init, post_save, post_delete):
        signal.disconnect(sender=model, dispatch_uid=uid)


def _attname(model, name: str) -> str:
    if name in ("id", "pk"):
        return model._meta.pk.attname
    try:
        return model._meta.get_field(name).attname
    except FieldDoesNotExist:
        return name


def _remember(sender, instance, **kwargs) -> None:
    """Keep the loaded values of one-attribute paths (only those already loaded: never a query)."""
    original = {}
    for path in _connected.get(sender, ()):
        if len(path) == 1:
            att = _attname(sender, path[0])
            if att in instance.__dict__:
                original[path] = instance.__dict__[att]
    instance.__dict__[ORIGINAL] = original


def _resolve(instance, path: tuple[str, ...], ids: set[int], lookups: list) -> None:
    """Add the unit id at ``path`` to ``ids``, or a (model, pk, lookup) to ``lookups`` when it
    cannot be read without a query."""
    obj = instance
    for i, name in enumerate(path[:-1]):
        field = obj._meta.get_field(name)
        if field.is_cached(obj):
            obj = getattr(obj, name)
            if obj is None:
                return
            continue
        pk = obj.__dict__.get(field.attname)
        if pk is not None:
            lookups.append((field.related_model, pk, "__".join(path[i + 1 :])))
        return
    att = _attname(type(obj), path[-1])
    if att in obj.__dict__:
        value = obj.__dict__[att]
        if value is not None:
            ids.add(int(value))
    elif obj.pk is not None:
        lookups.append((type(obj), obj.pk, path[-1]))


def _collect(sender, instance, *, with_original: bool) -> tuple[set[int], list]:
    ids: set[int] = set()
    lookups: list = []
    for path in _connected.get(sender, ()):
        try:
            _resolve(instance, path, ids, lookups)
        except Exception:  # a wrong path must never break a write
            log.exception("cannot follow metric source path %s on %s", path, sender)
    if with_original:
        for value in instance.__dict__.get(ORIGINAL, {}).values():
            if value is not None:
                ids.add(int(value))
    return ids, lookups


def _saved(sender, instance, created=False, **kwargs) -> None:
    ids, lookups = _collect(sender, instance, with_original=not created)
    _remember(sender, instance)  # the next save compares with what is saved now
    _defer(ids, lookups)


def _deleted(sender, instance, **kwargs) -> None:
    ids, lookups = _collect(sender, instance, with_original=True)
    _defer(ids, lookups)


def _defer(ids: set[int], lookups: list) -> None:
    if ids or lookups:
        transaction.on_commit(lambda: mark(ids, lookups), robust=True)


def mark(unit_ids, lookups=()) -> None:
    """Insert dirty marks for ``unit_ids`` (and the unit ids found by ``lookups``)."""
    ids = {int(u) for u in unit_ids if u}
    for model, pk, lookup in lookups:
        value = model._base_manager.filter(pk=pk).values_list(lookup, flat=True).first()
        if value:
            ids.add(int(value))
    if ids:
        DirtyUnit.objects.bulk_create([DirtyUnit(unit_id=u) for u in sorted(ids)], ignore_conflicts=True)

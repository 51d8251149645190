"""Who may see and who may run a training class: the one place for these rules.

* Manage (sessions, enrolment, attendance, grading, withdrawals): ``school.change_trainingclass``
  at the class's unit (org admin, committee secretary of the unit or above), or the class's
  head teacher, who needs no grant.
* See: ``school.view_trainingclass`` over the class's unit, the head teacher, a student of the
  class (an Enrolment of the user's own Person, whatever its status), or someone who follows
  one of its students (``school.view_enrolment`` over the student's unit: a branch secretary
  whose activist attends a college's class sees the class and their own people on its roster,
  but cannot manage it → 403).
* Everyone else: 404 (nobody learns that a class exists outside their scope).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q
from django.http import Http404

from cloudbranch.orgs.scoping import can, granted_prefixes, scope_q

from .models import Enrolment, TrainingClass

VIEW_CLASS = "school.view_trainingclass"
VIEW_ENROLMENT = "school.view_enrolment"
ADD_CLASS = "school.add_trainingclass"
CHANGE_CLASS = "school.change_trainingclass"


def _authenticated(user) -> bool:
    return user is not None and user.is_authenticated and not getattr(user, "duty", "")


def may_manage(user, training_class: TrainingClass) -> bool:
    """Whether ``user`` runs ``training_class``: the grant at its unit, or its head teacher."""
    if not _authenticated(user):
        return False
    if training_class.head_teacher_id == user.pk:
        return True
    return can(user, CHANGE_CLASS, training_class.unit)


def may_view_all_students(user, training_class: TrainingClass) -> bool:
    """Managers and viewers over the class's unit see every student; others only the ones they follow."""
    return may_manage(user, training_class) or can(user, VIEW_CLASS, training_class.unit)


def visibility_q(user) -> Q:
    """A filter on TrainingClass: the classes ``user`` may see (see the module docstring)."""
    if not _authenticated(user):
        return Q(pk__in=[])
    q = Q(head_teacher_id=user.pk) | Q(
        Exists(Enrolment.objects.filter(training_class_id=OuterRef("pk"), person__user_id=user.pk))
    )
    for perm in (VIEW_CLASS, CHANGE_CLASS):
        prefixes = granted_prefixes(user, perm)
        if prefixes:
            q |= scope_q("unit__path", prefixes)
    followed = granted_prefixes(user, VIEW_ENROLMENT)
    if followed:
        q |= Q(
            Exists(
                Enrolment.objects.filter(training_class_id=OuterRef("pk")).filter(
                    scope_q("person__unit__path", followed)
                )
            )
        )
    return q


def visible_classes(user):
    return TrainingClass.objects.filter(visibility_q(user))


def managed_classes_q(user) -> Q:
    if not _authenticated(user):
        return Q(pk__in=[])
    q = Q(head_teacher_id=user.pk)
    prefixes = granted_prefixes(user, CHANGE_CLASS)
    if prefixes:
        q |= scope_q("unit__path", prefixes)
    return q


def class_for_viewer(user, class_id, *, queryset=None) -> TrainingClass:
    """The class if ``user`` may see it, else 404."""
    qs = queryset if queryset is not None else TrainingClass.objects.select_related("unit", "head_teacher")
    try:
        return qs.filter(visibility_q(user)).get(pk=class_id)
    except (TrainingClass.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def class_for_manager(user, class_id, *, queryset=None) -> TrainingClass:
    """The class if ``user`` may manage it; 404 when they cannot see it, 403 when they only see it."""
    training_class = class_for_viewer(user, class_id, queryset=queryset)
    if not may_manage(user, training_class):
        raise PermissionDenied
    return training_class


def require_manage(user, training_class: TrainingClass) -> None:
    """For services handed an object: 404 if invisible, 403 if visible but not manageable."""
    if may_manage(user, training_class):
        return
    if TrainingClass.objects.filter(visibility_q(user), pk=training_class.pk).exists():
        raise PermissionDenied
    raise Http404


def enrolment_of(user, training_class: TrainingClass) -> Enrolment | None:
    """The user's own Enrolment in the class (through their Person), or None."""
    if not _authenticated(user):
        return None
    return (
        Enrolment.objects.select_related("person__unit")
        .filter(training_class=training_class, person__user_id=user.pk)
        .first()
    )

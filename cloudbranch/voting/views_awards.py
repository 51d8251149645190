"""Pages of the awards area (评先评优). Thin: reads through selectors_awards, writes through awards."""

from __future__ import annotations

from django.contrib import messages as flash
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cloudbranch.core.errors import DomainError
from cloudbranch.core.forms import apply_domain_error
from cloudbranch.orgs.choices import UnitKind, UnitStatus
from cloudbranch.orgs.models import OrgUnit
from cloudbranch.orgs.scoping import can, holds, requires_grant

from . import awards
from . import selectors_awards as sel
from .choices import AwardKind, AwardRoundStatus, NominationStatus
from .forms_awards import HandleForm, NominationForm, NoticeForm, ObjectionForm, ReviewForm, RoundForm, VoteForm
from .models import AwardRound, Nomination

PAGE_SIZE = 20
ISSUING_KINDS = (UnitKind.COMMITTEE, UnitKind.SUB_COMMITTEE, UnitKind.GENERAL_BRANCH)


def _page(request, qs, param="page"):
    return Paginator(qs, PAGE_SIZE).get_page(request.GET.get(param))


# --- rounds -----------------------------------------------------------------------------------


@require_GET
def award_rounds(request):
    user = request.user
    officer = holds(user, awards.VIEW_PERM)
    ctx = {
        "officer": officer,
        "may_issue": holds(user, awards.ISSUE_PERM),
        "page": _page(request, sel.round_list(user=user)) if officer else None,
        "notices": _page(request, sel.open_notices(user=user), "npage"),
    }
    return render(request, "voting/award_list_page.html", ctx)


def _issuing_units(user):
    return (
        OrgUnit.objects.restrict(user, awards.ISSUE_PERM)
        .filter(status=UnitStatus.ACTIVE, kind__in=ISSUING_KINDS)
        .order_by("path")
    )


@requires_grant(awards.ISSUE_PERM)
@require_http_methods(["GET", "POST"])
def award_round_create(request):
    units = _issuing_units(request.user)
    if request.method == "GET":
        form = RoundForm(units=units, initial={"unit": units.first(), "notice_days": awards.DEFAULT_NOTICE_DAYS})
        return render(request, "voting/award_form.html", {"form": form})
    form = RoundForm(request.POST, units=units)
    if form.is_valid():
        try:
            award_round = awards.round_create(actor=request.user, **form.service_kwargs())
        except DomainError as exc:
            apply_domain_error(form, exc)
            return render(request, "voting/award_form.html", {"form": form}, status=exc.status)
        flash.success(request, "评选已发起，下级组织可以开始推荐。")
        return redirect("voting:award_round", award_round.pk)
    return render(request, "voting/award_form.html", {"form": form}, status=422)


def _round_context(request, award_round: AwardRound) -> dict:
    user = request.user
    kind = request.GET.get("kind") if request.GET.get("kind") in AwardKind.values else ""
    status = request.GET.get("status") if request.GET.get("status") in NominationStatus.values else ""
    issuer = awards.is_issuer(user, award_round)
    nominating = (
        award_round.status == AwardRoundStatus.NOMINATING
        and awards._today() <= award_round.nomination_deadline
        and bool(awards.nominating_units(user, award_round))
    )
    return {
        "round": award_round,
        "counts": sel.round_counts(user=user, award_round=award_round),
        "page": _page(request, sel.nomination_list(user=user, award_round=award_round, kind=kind, status=status)),
        "awaiting": sel.awaiting_my_review(user=user, award_round=award_round).count(),
        "kind": kind,
        "status": status,
        "kinds": [(k, AwardKind(k).label) for k in award_round.kinds if k in AwardKind.values],
        "statuses": NominationStatus.choices,
        "issuer": issuer,
        "may_nominate": nominating,
        "advances": [
            (to, AwardRoundStatus(to).label) for to in sorted(awards.ADVANCES.get(award_round.status, ())) if issuer
        ],
        "notice_form": NoticeForm(initial={"starts_on": awards._today()}),
        "today": awards._today(),
    }


@require_GET
def award_round(request, round_id: int):
    try:
        award_round = sel.access_round(request.user, round_id)
    except Http404:
        sel.access_public_round(request.user, round_id)  # members: the notice is their page
        return redirect("voting:award_notice", round_id)
    return render(request, "voting/award_detail.html", _round_context(request, award_round))


@require_POST
def award_advance(request, round_id: int):
    award_round = sel.access_round(request.user, round_id)
    try:
        awards.round_advance(actor=request.user, award_round=award_round, to=request.POST.get("to", ""))
    except DomainError as exc:
        ctx = _round_context(request, award_round)
        ctx["error"] = exc.message
        return render(request, "voting/award_detail.html", ctx, status=exc.status)
    flash.success(request, "评选状态已更新。")
    return redirect("voting:award_round", award_round.pk)


# --- nominations ------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def nomination_create(request, round_id: int):
    award_round = sel.access_round(request.user, round_id)
    units = awards.nominating_units(request.user, award_round)
    if not units:
        raise PermissionDenied
    chosen = request.POST.get("nominating_unit") or request.GET.get("unit")
    unit = next((u for u in units if str(u.pk) == str(chosen)), units[0])
    unit_qs = OrgUnit.objects.filter(pk__in=[u.pk for u in units]).order_by("path")
    people = (
        awards.eligible_people(AwardKind.EXCELLENT_MEMBER, unit).select_related("unit").order_by("unit__path", "name")
    )
    kwargs = {
        "award_round": award_round,
        "units": unit_qs,
        "people": people,
        "nominee_units": awards.eligible_units(unit).order_by("path"),
    }
    ctx = {"round": award_round, "unit": unit, "units": units}
    if request.method == "GET":
        ctx["form"] = NominationForm(initial={"nominating_unit": unit}, **kwargs)
        return render(request, "voting/nomination_form.html", ctx)
    form = ctx["form"] = NominationForm(request.POST, **kwargs)
    if not form.is_valid():
        return render(request, "voting/nomination_form.html", ctx, status=422)
    try:
        nomination = awards.nomination_create(actor=request.user, award_round=award_round, **form.cleaned_data)
    except DomainError as exc:
        apply_domain_error(form, exc)
        return render(request, "voting/nomination_form.html", ctx, status=exc.status)
    flash.success(request, "推荐已提交。" if nomination.status == NominationStatus.PENDING else "推荐已提交，待表决。")
    return redirect("voting:nomination", nomination.pk)


def _nomination_page(request, nomination: Nomination, *, review_form=None, status=200, error=""):
    user = request.user
    may_withdraw = (
        nomination.status in (NominationStatus.PENDING, NominationStatus.APPROVED)
        and nomination.round.status in (AwardRoundStatus.NOMINATING, AwardRoundStatus.REVIEWING)
        and can(user, awards.NOMINATE_PERM, nomination.nominating_unit)
    )
    reviews = list(sel.nomination_reviews(nomination))
    ctx = {
        "nomination": nomination,
        "round": nomination.round,
        "reviews": reviews,
        "may_review": awards.may_review(user, nomination),
        "final_level": nomination.pending_at_id == nomination.round.unit_id,
        "may_withdraw": may_withdraw and not reviews,
        "review_form": review_form or ReviewForm(),
        "error": error,
    }
    return render(request, "voting/nomination_detail.html", ctx, status=status)


@require_GET
def nomination_detail(request, nomination_id: int):
    return _nomination_page(request, sel.access_nomination(request.user, nomination_id))


@require_POST
def nomination_review(request, nomination_id: int):
    nomination = sel.access_nomination(request.user, nomination_id)
    form = ReviewForm(request.POST)
    if not form.is_valid():
        return _nomination_page(request, nomination, review_form=form, status=422)
    try:
        review = awards.nomination_review(actor=request.user, nomination=nomination, **form.cleaned_data)
    except DomainError as exc:
        apply_domain_error(form, exc)
        return _nomination_page(request, nomination, review_form=form, status=exc.status)
    flash.success(request, f"已{review.get_decision_display()}。")
    return redirect("voting:nomination", nomination.pk)


@require_POST
def nomination_withdraw(request, nomination_id: int):
    nomination = sel.access_nomination(request.user, nomination_id)
    try:
        awards.nomination_withdraw(actor=request.user, nomination=nomination)
    except DomainError as exc:
        return _nomination_page(request, nomination, status=exc.status, error=exc.message)
    flash.success(request, "推荐已撤回。")
    return redirect("voting:nomination", nomination.pk)


# --- the vote ---------------------------------------------------------------------------------


def _vote_page(request, award_round, *, failed=None, failed_pk=None, status=200):
    page = _page(request, sel.vote_items(award_round))
    entitled = sel.committee_size(award_round.unit) or None
    rows = []
    for n in page.object_list:
        if failed is not None and failed_pk == n.pk:
            form = failed
        else:
            form = VoteForm(
                prefix=f"n{n.pk}",
                initial={
                    "votes_for": n.votes_for,
                    "votes_against": n.votes_against,
                    "abstentions": n.abstentions,
                    "present": n.voters_present,
                    "entitled": n.voters_entitled or entitled,
                },
            )
        rows.append((n, form))
    ctx = {
        "round": award_round,
        "rows": rows,
        "page": page,
        "counts": sel.round_counts(user=request.user, award_round=award_round),
        "committee_size": entitled,
        "voting": award_round.status == AwardRoundStatus.VOTING,
    }
    return render(request, "voting/award_vote.html", ctx, status=status)


@require_http_methods(["GET", "POST"])
def award_vote(request, round_id: int):
    award_round = sel.access_round(request.user, round_id)
    if not awards.is_issuer(request.user, award_round):
        raise PermissionDenied
    if request.method == "GET":
        return _vote_page(request, award_round)
    pk = request.POST.get("nomination", "")
    nomination = sel.vote_items(award_round).filter(pk=int(pk)).first() if pk.isdigit() and len(pk) < 10 else None
    if nomination is None:
        raise Http404
    form = VoteForm(request.POST, prefix=f"n{nomination.pk}")
    if not form.is_valid():
        return _vote_page(request, award_round, failed=form, failed_pk=nomination.pk, status=422)
    try:
        nomination = awards.vote_record(actor=request.user, nomination=nomination, **form.cleaned_data)
    except DomainError as exc:
        apply_domain_error(form, exc, summary=True)
        return _vote_page(request, award_round, failed=form, failed_pk=nomination.pk, status=exc.status)
    flash.success(request, f"{awards.nominee_name(nomination)}：{nomination.get_status_display()}。")
    return redirect(f"{request.get_full_path()}#n{nomination.pk}")


# --- the notice, objections, final list -------------------------------------------------------


def _notice_page(request, award_round, *, objection_error=None, handle_error=None, notice_form=None, status=200):
    user = request.user
    issuer = awards.is_issuer(user, award_round)
    ctx = {
        "round": award_round,
        "issuer": issuer,
        "open": awards.notice_open(award_round),
        "page": _page(request, sel.notice_items(award_round)),
        "objection_form": ObjectionForm(),
        "objection_error": objection_error,
        "handle_error": handle_error,
        "mine": list(sel.my_objections(user=user, award_round=award_round)[:20]),
        "objections": _page(request, sel.round_objections(award_round), "opage") if issuer else None,
        "handle_form": HandleForm(),
        "notice_form": notice_form,
        "today": awards._today(),
    }
    return render(request, "voting/award_notice.html", ctx, status=status)


@require_http_methods(["GET", "POST"])
def award_notice(request, round_id: int):
    """GET: the public notice (公示) of a round; POST: the issuing committee starts it."""
    if request.method == "POST":
        award_round = sel.access_round(request.user, round_id)
        form = NoticeForm(request.POST)
        if form.is_valid():
            try:
                awards.notice_start(actor=request.user, award_round=award_round, **form.cleaned_data)
            except DomainError as exc:
                apply_domain_error(form, exc)
                ctx = _round_context(request, award_round)
                ctx["notice_form"] = form
                return render(request, "voting/award_detail.html", ctx, status=exc.status)
            flash.success(request, "公示已开始。")
            return redirect("voting:award_notice", award_round.pk)
        ctx = _round_context(request, award_round)
        ctx["notice_form"] = form
        return render(request, "voting/award_detail.html", ctx, status=422)
    return _notice_page(request, sel.access_public_round(request.user, round_id))


@require_POST
def objection_add(request, nomination_id: int):
    nomination = Nomination.objects.select_related("round__unit").filter(pk=nomination_id).first()
    if nomination is None or nomination.round.status not in sel.PUBLIC_STATUSES:
        raise Http404
    award_round = sel.access_public_round(request.user, nomination.round_id)
    form = ObjectionForm(request.POST)
    if form.is_valid():
        try:
            awards.objection_raise(actor=request.user, nomination=nomination, **form.cleaned_data)
        except DomainError as exc:
            return _notice_page(request, award_round, objection_error=(nomination.pk, exc.message), status=exc.status)
        flash.success(request, "已收到你反映的情况，组织将核查处理。")
        return redirect("voting:award_notice", award_round.pk)
    message = "；".join(e for errs in form.errors.values() for e in errs)
    return _notice_page(request, award_round, objection_error=(nomination.pk, message), status=422)


@require_POST
def objection_handle(request, objection_id: int):
    objection = sel.access_objection(request.user, objection_id)
    award_round = objection.nomination.round
    form = HandleForm(request.POST)
    if form.is_valid():
        try:
            awards.objection_handle(actor=request.user, objection=objection, **form.cleaned_data)
        except DomainError as exc:
            return _notice_page(request, award_round, handle_error=(objection.pk, exc.message), status=exc.status)
        flash.success(request, "核查结论已记录。")
        return redirect("voting:award_notice", award_round.pk)
    message = "；".join(e for errs in form.errors.values() for e in errs)
    return _notice_page(request, award_round, handle_error=(objection.pk, message), status=422)


@require_POST
def award_finalize(request, round_id: int):
    award_round = sel.access_round(request.user, round_id)
    try:
        awards.round_finalize(actor=request.user, award_round=award_round)
    except DomainError as exc:
        return _notice_page(request, award_round, handle_error=(None, exc.message), status=exc.status)
    flash.success(request, "评选结果已公布。")
    return redirect("voting:award_list", award_round.pk)


@require_GET
def award_list(request, round_id: int):
    award_round = sel.access_public_round(request.user, round_id)
    if award_round.status != AwardRoundStatus.FINAL:
        raise Http404
    items = list(sel.final_list(award_round))
    groups = [(label, [n for n in items if n.kind == k]) for k, label in AwardKind.choices if k in award_round.kinds]
    return render(request, "voting/award_final.html", {"round": award_round, "groups": groups, "total": len(items)})

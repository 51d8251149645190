"""Pages of elections (换届选举). Thin: reads through selectors_elections, writes through
elections.py / ballots.py. A broken rule re-renders the page with the message (422, or 409 for a
state conflict) and nothing written."""

from __future__ import annotations

from django.contrib import messages as flash
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cloudbranch.core.errors import DomainError
from cloudbranch.core.forms import apply_domain_error
from cloudbranch.orgs.models import OrgUnit
from cloudbranch.orgs.scoping import holds, requires_grant

from . import ballots, counting, elections
from . import selectors_elections as sel
from .choices import ElectionStatus, Mark, RoundStatus
from .forms_elections import CandidateForm, ElectionForm, ExclusionForm
from .models import Round

PAGE_SIZE = 20

STEPS = [
    (ElectionStatus.DRAFT, "筹备"),
    (ElectionStatus.NOMINATED, "候选人"),
    (ElectionStatus.ROLL_FROZEN, "选举人名单"),
    (ElectionStatus.VOTING, "投票"),
    (ElectionStatus.COUNTED, "计票"),
    (ElectionStatus.REPORTED, "报批"),
    (ElectionStatus.CONFIRMED, "批准"),
]


def _steps(election):
    order = [s for s, _label in STEPS]
    current = order.index(election.status) if election.status in order else -1
    return [{"label": label, "done": i < current, "current": i == current} for i, (_s, label) in enumerate(STEPS)]


def _fail(request, exc: DomainError, url: str):
    """An action button's broken rule: show the message on the page it came from."""
    flash.error(request, exc.message)
    response = redirect(url)
    return response


# --- list, create, edit ---------------------------------------------------------------------


@require_GET
def election_list(request):
    qs = sel.election_list(request.user, status=request.GET.get("status", ""))
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    officer = holds(request.user, elections.RUN_PERM)
    return render(
        request,
        "voting/election_list.html",
        {"page": page, "items": list(page.object_list), "officer": officer, "statuses": ElectionStatus.choices},
    )


def _run_units(user):
    return list(OrgUnit.objects.restrict(user, elections.RUN_PERM).active().order_by("path")[:200])


@requires_grant(elections.RUN_PERM)
@require_http_methods(["GET", "POST"])
def election_create(request):
    units = _run_units(request.user)
    form = ElectionForm(
        request.POST if request.method == "POST" else None, units=units, initial={"election_date": timezone.localdate()}
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        unit = data.pop("unit")
        try:
            election = elections.election_create(actor=request.user, unit=unit, **data)
        except DomainError as exc:
            apply_domain_error(form, exc, summary=True)
            return render(request, "voting/election_form.html", {"form": form}, status=exc.status)
        return redirect("voting:candidates", election.pk)
    return render(request, "voting/election_form.html", {"form": form}, status=422 if form.errors else 200)


@require_http_methods(["GET", "POST"])
def election_edit(request, election_id):
    election = elections.access_election(request.user, election_id, manage=True)
    initial = {f: getattr(election, f) for f in elections.EDITABLE}
    form = ElectionForm(request.POST if request.method == "POST" else None, initial=initial, edit=True)
    if request.method == "POST" and form.is_valid():
        try:
            elections.election_update(actor=request.user, election=election, **form.cleaned_data)
        except DomainError as exc:
            apply_domain_error(form, exc, summary=True)
            return render(request, "voting/election_form.html", {"form": form, "election": election}, status=exc.status)
        return redirect("voting:election", election.pk)
    return render(
        request, "voting/election_form.html", {"form": form, "election": election}, status=422 if form.errors else 200
    )


@require_POST
def election_cancel(request, election_id):
    try:
        elections.election_cancel(actor=request.user, election=election_id, reason=request.POST.get("reason", ""))
    except DomainError as exc:
        return _fail(request, exc, reverse("voting:election", args=[election_id]))
    flash.success(request, "选举已取消。")
    return redirect("voting:election", election_id)


# --- the election page (officers: stepper and actions; voters: check-in and the ballot) ----


@require_GET
def election_detail(request, election_id):
    election = elections.access_election(request.user, election_id)
    return _detail(request, election)


def _detail(request, election, *, status=200, error=None, marks=None):
    rnd = sel.open_round(election)
    voter = elections.voter_of(request.user, election)
    ctx = {
        "election": election,
        "steps": _steps(election),
        "manage": elections.may_run(request.user, election),
        "approve": election.status == ElectionStatus.REPORTED and elections.may_approve(request.user, election),
        "round": rnd,
        "voter": voter,
        "error": error,
        "marks": marks or {},
        "today": timezone.localdate(),
        "counts": elections.roll_counts(election) if election.roll_frozen_at else None,
        "min_candidates": None
        if election.equal_election
        else counting.min_candidates(election.seats, election.surplus_ratio),
    }
    if voter and rnd:
        ctx["has_voted"] = ballots.has_voted(voter, rnd)
        ctx["ballot_candidates"] = list(rnd.candidates.select_related("person").order_by("sort_order", "id"))
        ctx["mark_choices"] = Mark.choices
    return render(request, "voting/election_detail.html", ctx, status=status)


@require_POST
def voter_checkin(request, election_id):
    try:
        elections.voter_checkin(actor=request.user, election=election_id)
    except DomainError as exc:
        return _fail(request, exc, reverse("voting:election", args=[election_id]))
    flash.success(request, "已报到。")
    return redirect("voting:election", election_id)


@require_POST
def ballot_cast(request, election_id):
    """The phone ballot: one mark per candidate; ``confirm`` set after the confirmation step."""
    election = elections.access_election(request.user, election_id)
    marks = {k[5:]: v for k, v in request.POST.items() if k.startswith("mark_")}
    if request.POST.get("confirm") != "1":
        rnd = sel.open_round(election)
        n_for = sum(1 for v in marks.values() if v == Mark.FOR)
        labels = dict(Mark.choices)
        return render(
            request,
            "voting/ballot_confirm.html",
            {
                "election": election,
                "round": rnd,
                "marks": marks,
                "n_for": n_for,
                "rows": [
                    (c, marks.get(str(c.pk), Mark.ABSTAIN), labels.get(marks.get(str(c.pk), Mark.ABSTAIN), "?"))
                    for c in (rnd.candidates.select_related("person").order_by("sort_order", "id") if rnd else [])
                ],
            },
        )
    try:
        ballots.ballot_cast(actor=request.user, election=election, marks=marks)
    except DomainError as exc:
        return _detail(request, election, status=exc.status, error=exc.message, marks=marks)
    return redirect("voting:election", election.pk)


# --- candidates ------------------------------------------------------------------------------

#: People offered in the candidate picker at once; a larger unit (a college committee) searches.
PICK_LIMIT = 500


def _nominable(request, election):
    """The people the picker offers: the unit's full members on the roster, narrowed by ``q``
    (a name or a 学号工号), at most PICK_LIMIT; a posted person is always among them so a pick
    made after a search is accepted. Returns (people, more than shown, q)."""
    q = request.GET.get("q", "").strip()[:64]
    qs = elections.eligible_people(election).select_related("unit").order_by("name", "pk")
    if q:
        qs = qs.filter(Q(name__contains=q) | Q(staff_number=q))
    people = list(qs[: PICK_LIMIT + 1])
    more = len(people) > PICK_LIMIT
    people = people[:PICK_LIMIT]
    posted = request.POST.get("person", "") if request.method == "POST" else ""
    if posted.isdigit() and all(str(p.pk) != posted for p in people):
        people += list(elections.eligible_people(election).select_related("unit").filter(pk=int(posted)))
    return people, more, q


@require_http_methods(["GET", "POST"])
def candidates(request, election_id):
    election = elections.access_election(request.user, election_id, manage=True)
    people, more, q = _nominable(request, election)
    form = CandidateForm(request.POST if request.method == "POST" else None, people=people)
    status = 200
    if request.method == "POST":
        action = request.POST.get("action", "add")
        try:
            if action == "add":
                if form.is_valid():
                    elections.candidate_add(
                        actor=request.user,
                        election=election,
                        person=form.cleaned_data["person"],
                        introduction=form.cleaned_data["introduction"],
                    )
                    return redirect("voting:candidates", election.pk)
                status = 422
            elif action == "remove":
                elections.candidate_remove(actor=request.user, candidate=int(request.POST["candidate"]))
                return redirect("voting:candidates", election.pk)
            elif action == "order":
                elections.candidate_update(
                    actor=request.user,
                    candidate=int(request.POST["candidate"]),
                    sort_order=int(request.POST["sort_order"]),
                )
                return redirect("voting:candidates", election.pk)
            elif action == "publish":
                elections.candidates_publish(actor=request.user, election=election)
                flash.success(request, "候选人名单已确定。")
                return redirect("voting:election", election.pk)
        except DomainError as exc:
            apply_domain_error(form, exc, summary=True)
            status = exc.status
        except (KeyError, ValueError):
            status = 400
        election.refresh_from_db()
    rows = list(sel.candidates_of(election))
    ctx = {
        "election": election,
        "rows": rows,
        "form": form,
        "surplus_problem": elections.surplus_check(election, len(rows)),
        "min_candidates": counting.min_candidates(election.seats, election.surplus_ratio),
        "editable": election.status == ElectionStatus.DRAFT,
        "more": more,
        "q": q,
        "pick_limit": PICK_LIMIT,
    }
    return render(request, "voting/candidates.html", ctx, status=status)


# --- roll, presence, exclusions -----------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def roll(request, election_id):
    election = elections.access_election(request.user, election_id, manage=True)
    status, error = 200, None
    if request.method == "POST":
        try:
            voter_id = int(request.POST.get("voter", "0"))
            if request.POST.get("action") == "exclude":
                form = ExclusionForm(request.POST)
                form.is_valid()
                elections.voter_exclude(
                    actor=request.user,
                    voter=voter_id,
                    reason=form.cleaned_data.get("reason", ""),
                    note=form.cleaned_data.get("note", ""),
                )
            else:
                elections.voter_presence(actor=request.user, voter=voter_id, present=request.POST.get("present") == "1")
            if not request.htmx:
                return redirect(request.get_full_path())
        except DomainError as exc:
            status, error = exc.status, exc.message
        except ValueError:
            status, error = 400, "请求有误。"
    rnd = sel.open_round(election)
    page = Paginator(sel.roll_of(election, q=request.GET.get("q", "").strip()), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    ctx = {
        "election": election,
        "page": page,
        "items": list(page.object_list),
        "counts": elections.roll_counts(election),
        "round": rnd,
        "voted": sel.voted_ids(rnd),
        "error": error,
        "exclusion_form": ExclusionForm(),
        "frozen": bool(election.roll_frozen_at),
    }
    template = "voting/roll.html#roll_panel" if request.htmx else "voting/roll.html"
    return render(request, template, ctx, status=status)


@require_POST
def roll_freeze(request, election_id):
    try:
        n = elections.roll_freeze(actor=request.user, election=election_id)
    except DomainError as exc:
        return _fail(request, exc, reverse("voting:election", args=[election_id]))
    flash.success(request, f"选举人名单已确定，共 {n} 人。")
    return redirect("voting:roll", election_id)


# --- rounds ----------------------------------------------------------------------------------


@require_POST
def round_open(request, election_id):
    ids = request.POST.getlist("candidates")
    try:
        elections.round_open(
            actor=request.user, election=election_id, candidate_ids=[int(i) for i in ids] if ids else None
        )
    except DomainError as exc:
        return _fail(request, exc, reverse("voting:election", args=[election_id]))
    except ValueError:
        flash.error(request, "候选人有误。")
    return redirect("voting:election", election_id)


@require_POST
def round_close(request, round_id):
    rnd = Round.objects.filter(pk=round_id).only("election_id").first()
    election_id = rnd.election_id if rnd else 0
    try:
        rnd = elections.round_close(actor=request.user, round=round_id)
    except DomainError as exc:
        return _fail(request, exc, reverse("voting:election", args=[election_id]))
    if rnd.status == RoundStatus.VOID:
        flash.error(request, rnd.result.get("void_reason", "本轮选举无效。"))
    return redirect("voting:result", election_id)


@require_http_methods(["GET", "POST"])
def paper_ballot(request, election_id):
    """The teller: tick the present voters who handed in a paper ballot, and type the ballots one
    by one — two separate forms, so that no typed ballot belongs to a ticked voter."""
    election = elections.access_election(request.user, election_id, manage=True)
    rnd = sel.open_round(election)
    status, error, ok = 200, None, None
    if request.method == "POST" and rnd is not None:
        try:
            if request.POST.get("action") == "voters":
                n = ballots.paper_voters_mark(
                    actor=request.user, round=rnd, voter_ids=[int(i) for i in request.POST.getlist("voters")]
                )
                ok = f"已登记 {n} 名纸质投票人。"
            else:
                marks = {k[5:]: v for k, v in request.POST.items() if k.startswith("mark_")}
                total = ballots.paper_ballot_enter(actor=request.user, round=rnd, marks=marks)
                ok = f"已录入，本轮共 {total} 张选票。"
        except DomainError as exc:
            status, error = exc.status, exc.message
        except ValueError:
            status, error = 400, "请求有误。"
    ctx = {"election": election, "round": rnd, "error": error, "ok": ok}
    if rnd is not None:
        voted = sel.voted_ids(rnd)
        ctx["present_voters"] = [
            v for v in sel.roll_of(election).filter(present=True, excluded="") if v.pk not in voted
        ]
        ctx["ballot_candidates"] = list(rnd.candidates.select_related("person").order_by("sort_order", "id"))
        ctx["mark_choices"] = Mark.choices
        ctx["ballot_count"] = rnd.ballots.count()
        ctx["voted_count"] = len(voted)
    return render(request, "voting/paper.html", ctx, status=status)


# --- result ----------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def result(request, election_id):
    election = elections.access_election(request.user, election_id)
    manage = elections.may_run(request.user, election)
    status, error = 200, None
    if request.method == "POST":
        election = elections.access_election(request.user, election_id, manage=True)
        try:
            if request.POST.get("action") == "accept_fewer":
                elections.result_accept_fewer(
                    actor=request.user, election=election, reason=request.POST.get("reason", "")
                )
            else:
                positions = {k[9:]: v for k, v in request.POST.items() if k.startswith("position_") and v}
                elections.posts_assign(actor=request.user, election=election, positions=positions)
            return redirect("voting:result", election.pk)
        except DomainError as exc:
            status, error = exc.status, exc.message
    if not manage and not elections.may_approve(request.user, election):
        # a voter sees the result once counted
        if election.status not in (ElectionStatus.COUNTED, ElectionStatus.REPORTED, ElectionStatus.CONFIRMED):
            return redirect("voting:election", election.pk)
    rounds = sel.rounds_with_tallies(election)
    ctx = {
        "election": election,
        "rounds": rounds,
        "winners": sel.winners_of(election),
        "manage": manage,
        "approve": election.status == ElectionStatus.REPORTED and elections.may_approve(request.user, election),
        "posts": elections.allowed_posts(election),
        "plan": elections.next_round_plan(election) if manage else None,
        "may_leave_empty": manage and elections.may_leave_empty(election),
        "error": error,
        "print": request.GET.get("print") == "1",
    }
    return render(request, "voting/result.html", ctx, status=status)


@require_POST
def result_report(request, election_id):
    try:
        elections.result_report(actor=request.user, election=election_id)
    except DomainError as exc:
        return _fail(request, exc, reverse("voting:result", args=[election_id]))
    flash.success(request, "选举结果已报上级党组织审批。")
    return redirect("voting:result", election_id)


@require_POST
def result_approve(request, election_id):
    try:
        elections.result_approve(actor=request.user, election=election_id)
    except DomainError as exc:
        return _fail(request, exc, reverse("voting:result", args=[election_id]))
    flash.success(request, "已批准选举结果，新一届委员会及任期已写入组织信息。")
    return redirect("voting:result", election_id)

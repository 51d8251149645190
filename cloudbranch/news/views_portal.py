"""The public portal (/public/, namespace ``public``): the university committee's home page,
public articles, the public message board with the visitors' form, RSS/Atom (feeds.py).

No login anywhere (``login_not_required``), no personal data on any page. The home page is
rendered without the request (nothing per user in it), kept in the cache per portal unit and
cache version (portal_cache.py) and sent with Cache-Control public, an ETag and Last-Modified.
"""

from __future__ import annotations

import hashlib
import json
import os
import time

from django import forms
from django.conf import settings
from django.contrib import messages as flash
from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.http import http_date
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from cloudbranch.core.context import current as request_context
from cloudbranch.core.errors import DomainError
from cloudbranch.core.forms import apply_domain_error
from cloudbranch.core.html import clean_html

from . import board as board_services
from . import captcha as board_captcha
from . import portal_services as svc
from .choices import MessageCategory
from .portal_cache import PAGE_TTL, bump_portal_version, page_key, portal_version

__all__ = ["bump_portal_version"]  # re-exported: the articles and board areas call it

HOME_TEMPLATE = "news/portal_home.html"


def _cacheable(response: HttpResponse, request, *, etag: str, modified: float) -> HttpResponse:
    response["ETag"] = etag
    response["Last-Modified"] = http_date(int(modified))
    patch_cache_control(response, public=True, max_age=PAGE_TTL)
    return get_conditional_response(request, etag=etag, last_modified=int(modified), response=response)


def _etag(content: str) -> str:
    digest = hashlib.blake2b(content.encode(), digest_size=12).hexdigest()
    return f'"{digest}"'


def _home_page() -> dict | None:
    """The rendered home page, from the cache or rendered now (three queries) and cached."""
    key = page_key("home", svc.portal_unit_code() or "-", portal_version())
    page = cache.get(key)
    if page is None:
        unit = svc.portal_unit(with_policy=True)
        if unit is None:
            return None
        html = render_to_string(HOME_TEMPLATE, svc.home_context(unit))
        page = {"html": html, "etag": _etag(html), "modified": time.time()}
        cache.set(key, page, PAGE_TTL)
    return page


@login_not_required
@require_safe
def home(request):
    page = _home_page()
    if page is None:
        raise Http404("尚未建立党组织。")
    return _cacheable(HttpResponse(page["html"]), request, etag=page["etag"], modified=page["modified"])


def bench_enabled() -> bool:
    return settings.DEBUG or os.environ.get("BENCH_BARE_VIEW") == "1"


def _bench_context() -> dict:
    """A fixed home-page context: from the JSON file named by BENCH_BARE_CONTEXT (dumped from the
    benchmark database, so that the page is byte for byte the portal's), else a built-in one."""
    path = os.environ.get("BENCH_BARE_CONTEXT")
    if path:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    item = {
        "title": "关于开展主题党日活动的通知",
        "summary": "各基层党组织：为深入学习贯彻党的二十大精神，现就有关事项通知如下。",
        "disclosure_type": "",
        "period": "",
        "published": "2026-11-20",
        "pinned": False,
        "unit_name": "某大学党委",
    }
    sections = [
        {"key": key, "label": label, "items": []}
        for key, label in (("notice", "通知公告"), ("news", "党建动态"), ("disclosure", "党务公开"))
    ]
    for section in sections:
        for i in range(svc.HOME_PER_CATEGORY):
            section["items"].append({**item, "id": i + 1, "category": section["key"], "pinned": i == 0})
    return {
        "active": "home",
        "unit": {"name": "某大学党委", "description": ""},
        "sections": sections,
        "hot_messages": [
            {
                "id": i + 1,
                "title": "关于入党积极分子培训时间的咨询",
                "category": "咨询",
                "pinned": i == 0,
                "date": "2026-11-18",
            }
            for i in range(svc.HOME_HOT_MESSAGES)
        ],
        "board_open": True,
    }


@login_not_required
@require_safe
def bench_bare(request):
    """Benchmark baseline: the home template rendered from a fixed context, with no database and
    no cache — "a bare Django page returning the same HTML from a template". Exists only with
    DEBUG on or BENCH_BARE_VIEW=1 in the environment."""
    if not bench_enabled():
        raise Http404
    return render(request, HOME_TEMPLATE, _bench_context())


@login_not_required
@require_safe
def article(request, pk: int):
    unit = svc.portal_unit()
    obj = svc.public_article(unit, pk) if unit else None
    if obj is None:
        raise Http404("没有这篇公开文章。")
    response = render(
        request,
        "news/portal_article.html",
        {"unit": unit, "article": obj, "body": clean_html(obj.body), "description": svc.article_text(obj, 120)},
    )
    modified = max(obj.updated_at, obj.published_at or obj.updated_at).timestamp()
    return _cacheable(response, request, etag=_etag(f"{obj.pk}:{modified}:{portal_version()}"), modified=modified)


class VisitorMessageForm(forms.Form):
    category = forms.ChoiceField(label="类别", choices=MessageCategory.choices)
    title = forms.CharField(label="标题", max_length=200)
    body = forms.CharField(label="内容", max_length=3000, widget=forms.Textarea(attrs={"rows": 5}))
    visitor_name = forms.CharField(label="称呼（选填）", max_length=50, required=False)
    visitor_contact = forms.CharField(label="联系方式（选填，仅工作人员可见）", max_length=100, required=False)
    captcha = forms.CharField(
        label="验证码（请填写图中算式的结果）",
        max_length=8,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            field.widget.attrs.setdefault("class", css)
            field.widget.attrs.setdefault("id", f"id_{name}")


def _board(request, unit, *, form=None, status=200):
    page = Paginator(svc.public_messages(unit), 20).get_page(request.GET.get("page"))
    allowed = svc.board_open(unit)
    if allowed and form is None:
        form = VisitorMessageForm()
    return render(
        request,
        "news/portal_board.html",
        {"unit": unit, "page": page, "board_open": allowed, "form": form if allowed else None, "active": "board"},
        status=status,
    )


def _unit_with_policy():
    unit = svc.portal_unit(with_policy=True)
    if unit is None:
        raise Http404("尚未建立党组织。")
    return unit


@login_not_required
@require_safe
@never_cache
def board(request):
    return _board(request, _unit_with_policy())


@login_not_required
@require_POST
@never_cache
def message_create(request):
    unit = _unit_with_policy()
    if not svc.board_open(unit):
        return _board(request, unit, status=403)
    form = VisitorMessageForm(request.POST)
    solved = board_captcha.check(request, request.POST.get("captcha", ""))  # spent either way
    if not form.is_valid():
        return _board(request, unit, form=form, status=422)
    if not solved:
        form.add_error("captcha", "验证码不正确或已过期，请按新图片重新计算。")
        return _board(request, unit, form=form, status=422)
    data = {k: v for k, v in form.cleaned_data.items() if k != "captcha"}
    try:
        board_services.message_create(actor=None, unit=unit, ip=request_context().ip or "", **data)
    except board_services.RateLimited as exc:
        form.add_error(None, exc.message)
        return _board(request, unit, form=form, status=429)
    except board_services.BoardClosed:
        return _board(request, unit, status=403)
    except DomainError as exc:
        apply_domain_error(form, exc)
        return _board(request, unit, form=form, status=422)
    flash.success(request, "留言已提交。工作人员回复后，留言和回复将在此公开显示。")
    return redirect("public:board")


@login_not_required
@require_safe
@never_cache
def captcha(request):
    _token, png = board_captcha.new_challenge(request)
    return HttpResponse(png, content_type="image/png")

"""The floor's pages: /ping, /items/ (20-row table behind login), /api/items (20-item ninja list, session auth)."""

import datetime
from decimal import Decimal

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import path
from ninja import ModelSchema, NinjaAPI
from ninja.pagination import PageNumberPagination, paginate
from ninja.security import django_auth

from .models import Item

api = NinjaAPI(urls_namespace="floor-api", docs_url=None)


class ItemOut(ModelSchema):
    class Meta:
        model = Item
        fields = "__all__"


@api.get("/items", response=list[ItemOut], auth=django_auth)
@paginate(PageNumberPagination)
def item_list(request, status: str = ""):
    qs = Item.objects.all()
    return qs.filter(status=status) if status else qs


def ping(request):
    return HttpResponse("pong", content_type="text/plain")


@login_required
def items(request):
    page = Paginator(Item.objects.all(), 20).get_page(request.GET.get("page"))
    return render(request, "floor/items.html", {"page": page})


urlpatterns = [
    path("ping", ping),
    path("items/", items),
    path("accounts/login/", auth_views.LoginView.as_view()),
    path("api/", api.urls),
]


def seed(rows: int = 40000) -> None:
    """Idempotent: the floor's user and rows (``python -c 'import django; …'`` from bench/driver.py)."""
    from django.contrib.auth import get_user_model

    user_model = get_user_model()
    if not user_model.objects.filter(username="bench").exists():
        user_model.objects.create_user("bench", password="bench-floor-pass")
    if Item.objects.exists():
        return
    start = datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)
    Item.objects.bulk_create(
        (
            Item(
                code=f"F{i:07d}",
                name=f"成员{i:05d}",
                unit=f"第{i % 800:03d}党支部",
                kind=("正式党员", "预备党员", "入党积极分子")[i % 3],
                status=("active", "transferred", "mobile")[i % 3],
                phone=f"138{i:08d}",
                email=f"member{i}@example.edu.cn",
                score=i % 100,
                amount=Decimal(i % 1000) / 4,
                joined=(start + datetime.timedelta(days=i % 2000)).date(),
                updated=start + datetime.timedelta(minutes=i),
                note="按时参加组织生活，认真完成学习任务。" * (1 + i % 3),
            )
            for i in range(rows)
        ),
        batch_size=2000,
    )

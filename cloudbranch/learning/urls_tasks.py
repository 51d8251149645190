from django.urls import path

from . import views_tasks as views

urlpatterns = [
    path("tasks/", views.task_list, name="tasks"),
    path("tasks/new/", views.task_create, name="task_create"),
    path("tasks/mine/", views.my_tasks, name="my_tasks"),
    path("tasks/<int:task_id>/", views.task_detail, name="task"),
    path("tasks/<int:task_id>/close/", views.task_close, name="task_close"),
    path("tasks/<int:task_id>/cancel/", views.task_cancel, name="task_cancel"),
    path("tasks/<int:task_id>/export.xlsx", views.task_export, name="task_export"),
]

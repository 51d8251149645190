"""Pages of worktasks (任务管理) under /tasks/."""

from django.urls import path

from . import views

app_name = "worktasks"

urlpatterns = [
    path("", views.board, name="board"),
    path("issued/", views.issued, name="issued"),
    path("new/", views.task_create, name="task_create"),
    path("stats/", views.stats, name="stats"),
    path("<int:task_id>/", views.task_detail, name="task"),
    path("<int:task_id>/edit/", views.task_edit, name="task_edit"),
    path("<int:task_id>/issue/", views.task_issue, name="task_issue"),
    path("<int:task_id>/cancel/", views.task_cancel, name="task_cancel"),
    path("<int:task_id>/close/", views.task_close, name="task_close"),
    path("<int:task_id>/export.xlsx", views.task_export, name="task_export"),
    path("targets/<int:target_id>/", views.target_detail, name="target"),
    path("targets/<int:target_id>/assign/", views.target_assign, name="target_assign"),
    path("targets/<int:target_id>/report/", views.target_report, name="target_report"),
    path("targets/<int:target_id>/submit/", views.target_submit, name="target_submit"),
    path("targets/<int:target_id>/review/", views.target_review, name="target_review"),
    path("attachments/<int:attachment_id>/", views.attachment_download, name="attachment"),
    path("evidence/<int:evidence_id>/", views.evidence_download, name="evidence"),
]

from __future__ import annotations

from django.urls import path

from minsheng.projects import views

app_name = "projects"
urlpatterns = [
    path("projects/", views.project_list, name="list"),
    path("projects/gantt/", views.gantt, name="gantt"),
    path("projects/import/", views.import_projects, name="import"),
    path("projects/template.xlsx", views.project_template, name="template"),
    path("projects/export.xlsx", views.export_xlsx, name="export"),
    path("projects/briefing.docx", views.briefing, name="briefing"),
    path("projects/<int:pk>/", views.project_detail, name="detail"),
    path("projects/<int:pk>/report/", views.progress_new, name="report"),
    path("projects/reports/<int:report_id>/review/", views.review, name="review"),
    path("projects/checklist/<int:item_id>/", views.checklist_tick, name="checklist"),
    path("budget/", views.budget, name="budget"),
    path("projects/photos/<int:pk>.jpg", views.photo, name="photo"),
    path("public/projects/", views.public_projects, name="public"),
    path("public/projects/<str:region_code>/<int:year>/", views.public_projects,
         name="public-year"),
]

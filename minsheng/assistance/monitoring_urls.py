from __future__ import annotations

from django.urls import path

from minsheng.assistance import monitoring_views as views

app_name = "monitoring"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("alerts/", views.alert_list, name="alerts"),
    path("alerts/new/", views.alert_new, name="alert-new"),
    path("alerts/<int:pk>/", views.alert_detail, name="alert"),
    path("households/<int:pk>/", views.case_detail, name="case"),
    path("households/<int:pk>/<str:action>/", views.case_act, name="act"),
    path("thresholds/", views.thresholds, name="thresholds"),
    path("thresholds/new/", views.threshold_new, name="threshold-new"),
    path("thresholds/<int:pk>/edit/", views.threshold_edit, name="threshold-edit"),
    path("import/", views.import_page, name="import"),
    path("import/template.xlsx", views.template, name="template"),
]

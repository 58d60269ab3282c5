"""Statistics, hotline import/export (minsheng/cases/stats_views.py), mediation and reviews
(minsheng/cases/mediation_views.py), 零发案 figures and police returns
(minsheng/cases/incidents_views.py), the smart devices (minsheng/cases/devices_views.py), under the
one "casestats" namespace the templates use."""

from __future__ import annotations

from django.urls import path

from minsheng.cases import devices_views, incidents_views, mediation_views
from minsheng.cases import stats_views as v

app_name = "casestats"
urlpatterns = [
    path("cases/stats/", v.stats_page, name="stats"),
    path("cases/stats/heat.json", v.heat_json, name="heat"),
    path("cases/stats/figures.json", v.figures_json, name="figures"),
    path("cases/import/", v.import_page, name="import"),
    path("cases/import/template.xlsx", v.template_download, name="template"),
    path("cases/export.xlsx", v.export_download, name="export"),
    path("cases/incidents/", incidents_views.incidents_page, name="incidents"),
    path("cases/incidents/import/", incidents_views.import_page, name="incidents-import"),
    path("cases/incidents/template.xlsx", incidents_views.template_download,
         name="incidents-template"),
    path("cases/incidents/approve/", incidents_views.approve, name="incidents-approve"),
    path("cases/devices/", devices_views.devices_page, name="devices"),
    path("cases/<int:pk>/mediation/", mediation_views.mediation_page, name="mediation"),
    path("cases/<int:pk>/mediation/agreement.docx", mediation_views.agreement_download,
         name="agreement"),
    path("cases/<int:pk>/review/", mediation_views.review_page, name="review"),
]

"""Statistics, hotline import/export, mediation and reviews (minsheng/cases/stats_views.py)."""

from __future__ import annotations

from django.urls import path

from minsheng.cases import stats_views as v

app_name = "casestats"
urlpatterns = [
    path("cases/stats/", v.stats_page, name="stats"),
    path("cases/stats/heat.json", v.heat_json, name="heat"),
    path("cases/stats/figures.json", v.figures_json, name="figures"),
    path("cases/import/", v.import_page, name="import"),
    path("cases/import/template.xlsx", v.template_download, name="template"),
    path("cases/export.xlsx", v.export_download, name="export"),
    path("cases/<int:pk>/mediation/", v.mediation_page, name="mediation"),
    path("cases/<int:pk>/mediation/agreement.docx", v.agreement_download, name="agreement"),
    path("cases/<int:pk>/review/", v.review_page, name="review"),
]

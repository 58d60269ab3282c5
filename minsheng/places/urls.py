"""The places pages (namespace `places`): region switcher, map, compounds, facilities,
organisations, regions, grids, and the import/export page."""

from __future__ import annotations

from django.urls import path

from minsheng.places import exchange_views, views

app_name = "places"
urlpatterns = [
    path("region/switch/", views.switch_region, name="switch-region"),
    path("regions/<str:code>/", views.region_detail, name="region"),
    path("map/", views.map_view, name="map"),
    path("map/<str:layer>.geojson", views.map_data, name="map-data"),
    path("compounds/", views.compound_list, name="compounds"),
    path("compounds/new/", views.compound_edit, name="compound-new"),
    path("compounds/<int:pk>/", views.compound_detail, name="compound"),
    path("compounds/<int:pk>/edit/", views.compound_edit, name="compound-edit"),
    path("compounds/<int:pk>/reveal/", views.compound_reveal, name="compound-reveal"),
    path("facilities/", views.facility_list, name="facilities"),
    path("facilities/<int:pk>/", views.facility_detail, name="facility"),
    path("organisations/", views.organisation_list, name="organisations"),
    path("organisations/<int:pk>/", views.organisation_detail, name="organisation"),
    path("grids/", views.grid_list, name="grids"),
    path("import/", exchange_views.import_page, name="import"),
    path("import/errors.xlsx", exchange_views.error_report_download, name="import-errors"),
    path("templates/<str:kind>.<str:fmt>", exchange_views.template_download, name="template"),
    path("export/<str:kind>.<str:fmt>", exchange_views.export_download, name="export"),
]

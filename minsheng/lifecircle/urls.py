from __future__ import annotations

from django.urls import path

from minsheng.lifecircle import views

app_name = "lifecircle"
urlpatterns = [
    path("lifecircle/", views.overview, name="overview"),
    path("lifecircle/recompute/", views.recompute, name="recompute"),
    path("lifecircle/network/", views.network_upload, name="network"),
    path("lifecircle/runs/<int:pk>.json", views.run_status, name="run-status"),
    path("lifecircle/map.geojson", views.map_data, name="map-data"),
    path("lifecircle/catchment/<int:facility_id>.geojson", views.catchment, name="catchment"),
    path("lifecircle/compound/<int:pk>/", views.compound, name="compound"),
    path("lifecircle/compound/<int:pk>/poster.pdf", views.poster, name="poster"),
    path("lifecircle/siting/", views.siting_page, name="siting"),
    path("lifecircle/proposals/<int:pk>/", views.proposal, name="proposal"),
    path("lifecircle/proposals/<int:pk>/project/", views.to_project, name="to-project"),
]

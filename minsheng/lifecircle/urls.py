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
]

# Siting (maximal covering location) and proposals: lifecircle/siting_views.py
from minsheng.lifecircle import siting_views  # noqa: E402

urlpatterns += [
    path("lifecircle/siting/", siting_views.siting, name="siting"),
    path("lifecircle/proposals/<int:pk>/", siting_views.proposal, name="proposal"),
    path("lifecircle/proposals/<int:pk>/project/", siting_views.to_project, name="to-project"),
]

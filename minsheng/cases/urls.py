"""Case pages (residents, grid workers, handlers, supervisors): minsheng/cases/views.py.

Statistics, hotline import, Excel export, mediation and reviews are in stats_urls.py; nothing here
may shadow their paths (only fixed words and integer ids after /cases/)."""

from __future__ import annotations

from django.urls import path, re_path

from minsheng.cases import views

app_name = "cases"
urlpatterns = [
    path("cases/", views.case_list, name="list"),
    path("cases/new/", views.file_case, name="new"),
    path("cases/compounds.json", views.compound_search, name="compound-search"),
    path("cases/map.geojson", views.map_data, name="map-data"),
    path("cases/t/<str:token>/", views.track, name="track"),
    path("cases/t/<str:token>/photos/<int:pk>.jpg", views.track_photo, name="track-photo"),
    path("cases/p/<str:number>/", views.public_case, name="public"),
    path("cases/mine/", views.mine, name="mine"),
    path("cases/patrol/", views.patrol, name="patrol"),
    path("cases/queue/", views.queue, name="queue"),
    path("cases/notifications/read/", views.notifications_read, name="notifications-read"),
    path("cases/photos/<int:pk>.jpg", views.photo, name="photo"),
    path("public/cases/photos/<int:pk>.jpg", views.public_photo, name="public-photo"),
    path("cases/<int:pk>/", views.detail, name="detail"),
    path("cases/<int:pk>/reveal/", views.reveal, name="reveal"),
    re_path(rf"^cases/(?P<pk>[0-9]+)/(?P<action>{'|'.join(views.ACTIONS)})/$", views.act,
            name="act"),
]

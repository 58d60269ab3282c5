from __future__ import annotations

from django.urls import path

from minsheng.governance import committee_views as cv
from minsheng.governance import rectification_views as rv
from minsheng.governance import registry_views as gv
from minsheng.governance import takeover_views as tv
from minsheng.governance import views

app_name = "governance"
urlpatterns = [
    path("governance/", views.index, name="index"),
    path("governance/scorecards/<int:pk>/", views.scorecard, name="scorecard"),
    path("governance/scorecards/<int:pk>/object/", views.object_to, name="object"),
    path("governance/scorecards/<int:pk>/decide/", views.decide, name="decide"),
    path("governance/compute/", views.compute, name="compute"),
    path("governance/schemes/new/", views.scheme_new, name="scheme-new"),
    path("governance/schemes/<int:pk>/edit/", views.scheme_edit, name="scheme-edit"),
    path("governance/publish/", views.publish, name="publish"),
    path("governance/surveys/", views.surveys, name="surveys"),
    path("governance/surveys/open/", views.open_surveys, name="open-surveys"),
    path("governance/surveys/<int:pk>/poster/", views.survey_poster, name="survey-poster"),
    path("governance/scores.xlsx", views.export, name="export"),
    path("governance/inspections/new/", views.inspect, name="inspect"),
    path("governance/inspections/<int:pk>/", views.inspection, name="inspection"),
    path("governance/inspections/<int:pk>/photos/<int:n>/", views.photo, name="photo"),
    path("governance/rectification/", rv.lists, name="task-lists"),
    path("governance/rectification/template.xlsx", rv.template, name="task-template"),
    path("governance/rectification/<int:pk>/", rv.task_list, name="task-list"),
    path("governance/rectification/tasks/<int:pk>/", rv.task, name="task"),
    path("governance/rectification/tasks/<int:pk>/submit/", rv.submit, name="task-submit"),
    path("governance/rectification/tasks/<int:pk>/verify/", rv.verify, name="task-verify"),
    path("governance/takeovers/", tv.index, name="takeovers"),
    path("governance/takeovers/new/", tv.new, name="takeover-new"),
    path("governance/takeovers/template.xlsx", tv.template, name="takeover-template"),
    path("governance/takeovers/<int:pk>/", tv.detail, name="takeover"),
    path("governance/takeovers/<int:pk>/edit/", tv.edit, name="takeover-edit"),
    path("governance/takeovers/<int:pk>/import/", tv.import_items, name="takeover-import"),
    path("governance/takeovers/items/<int:pk>/act/", tv.act, name="takeover-act"),
    path("governance/registry/", gv.index, name="registry"),
    path("governance/registry/<int:pk>/", gv.compound, name="registry-compound"),
    path("governance/registry/<int:pk>/committee/", cv.committee, name="registry-committee"),
    path("governance/registry/<int:pk>/committee/reveal/", cv.committee_reveal,
         name="registry-committee-reveal"),
    path("governance/registry/<int:pk>/elections/new/", cv.election_new, name="election-new"),
    path("governance/registry/<int:pk>/cadres/new/", cv.cadre_new, name="cadre-new"),
    path("governance/elections/<int:pk>/submit/", cv.election_submit, name="election-submit"),
    path("governance/elections/<int:pk>/edit/", cv.election_edit, name="election-edit"),
    path("governance/elections/<int:pk>/approve/", cv.election_approve, name="election-approve"),
    path("governance/elections/<int:pk>/return/", cv.election_return, name="election-return"),
    path("governance/members/<int:pk>/end/", cv.member_end, name="member-end"),
    path("governance/cadres/<int:pk>/end/", cv.cadre_end, name="cadre-end"),
    path("public/survey/<str:token>/", views.survey, name="survey"),
    path("public/property-ranking/", views.ranking, name="ranking"),
]

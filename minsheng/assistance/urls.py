from __future__ import annotations

from django.urls import path

from minsheng.assistance import programme_views as pv
from minsheng.assistance import views

app_name = "assistance"
urlpatterns = [
    path("assistance/", views.overview, name="overview"),
    path("assistance/households/", views.household_list, name="households"),
    path("assistance/households/new/", views.household_new, name="household-new"),
    path("assistance/households/import/", views.household_import, name="import"),
    path("assistance/households/template.xlsx", views.household_template, name="template"),
    path("assistance/households/<int:pk>/", views.household_detail, name="household"),
    path("assistance/households/<int:pk>/reveal/", views.household_reveal,
         name="household-reveal"),
    path("assistance/households/<int:pk>/change/", views.change_new, name="change-new"),
    path("assistance/households/<int:pk>/assess/", views.assessment_new, name="assess"),
    path("assistance/changes/<int:pk>/", views.change_detail, name="change"),
    path("assistance/changes/<int:pk>/act/", views.change_act, name="change-act"),
    path("assistance/households/<int:pk>/apply/", pv.apply, name="apply"),
    path("assistance/households/<int:pk>/grievance/", views.grievance_new, name="grievance"),
    path("assistance/enrolments/<int:pk>/", pv.enrolment_detail, name="enrolment"),
    path("assistance/enrolments/<int:pk>/act/", pv.enrolment_act, name="enrolment-act"),
    path("assistance/standards/", pv.standards_page, name="standards"),
    path("assistance/reviews/", pv.review_list, name="reviews"),
    path("assistance/reviews/<int:pk>/done/", pv.review_done, name="review-done"),
    path("assistance/cycles/", pv.cycle_list, name="cycles"),
    path("assistance/cycles/<int:pk>/", pv.cycle_detail, name="cycle"),
    path("assistance/cycles/<int:pk>/act/", pv.cycle_act, name="cycle-act"),
    path("assistance/batches/<int:pk>/file.<str:fmt>", pv.batch_file, name="batch-file"),
    path("assistance/batches/<int:pk>/reconcile/", pv.batch_reconcile, name="reconcile"),
]

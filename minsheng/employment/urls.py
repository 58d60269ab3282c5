from __future__ import annotations

from django.urls import path

from minsheng.employment import views

app_name = "employment"
urlpatterns = [
    path("employment/", views.home, name="home"),
    path("employment/register/", views.register, name="register"),
    path("employment/registrations/<int:pk>/", views.registration, name="registration"),
    path("employment/registrations/<int:pk>/reveal/", views.reveal, name="reveal"),
    path("employment/registrations/<int:pk>/employed/", views.employed, name="employed"),
    path("employment/registrations/<int:pk>/end/", views.end, name="end"),
    path("employment/registrations/<int:pk>/refer/", views.refer, name="refer"),
    path("employment/jobs/<int:pk>/leave/", views.leave, name="leave"),
    path("employment/employers/", views.employers, name="employers"),
    path("employment/employers/<int:pk>/", views.employer, name="employer"),
    path("employment/vacancies/", views.vacancies, name="vacancies"),
    path("employment/events/", views.events, name="events"),
    path("employment/events/<int:pk>/", views.event, name="event"),
    path("employment/referrals/", views.referrals, name="referrals"),
    path("employment/referrals/<int:pk>/", views.referral_update, name="referral"),
    path("employment/internships/", views.internships, name="internships"),
    path("employment/training/", views.training, name="training"),
    path("employment/internships/<int:pk>/end/", views.end_internship, name="internship-end"),
    path("employment/training/<int:pk>/", views.course, name="course"),
    path("employment/enrolments/<int:pk>/finish/", views.finish, name="finish"),
    path("employment/import/", views.import_registers, name="import"),
    path("employment/template.xlsx", views.template, name="template"),
    path("employment/export.xlsx", views.export, name="export"),
    path("public/jobs/", views.public_jobs, name="public"),
]

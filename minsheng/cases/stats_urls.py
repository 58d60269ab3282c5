# Statistics, hotline import/export, mediation and reviews: minsheng/cases/stats_views.py — being written.
urlpatterns: list = []

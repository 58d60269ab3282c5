# Case pages (residents, grid workers, handlers): minsheng/cases/views.py — being written.
urlpatterns: list = []

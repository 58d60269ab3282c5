# Placeholder until the Open311 views land (minsheng/cases/open311.py).
urlpatterns: list = []

"""The shell's pages: log-in, the home page and the health check. The places pages are in
places/views.py; every queryset comes from places/scope.py."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.db.models import Count, Sum
from django.http import HttpResponse
from django.shortcuts import render

from minsheng.places import scope
from minsheng.places.models import (
    Compound,
    Region,
    code_prefix,
)
from minsheng.places.regionswitch import current_region, narrow


class LoginView(auth_views.LoginView):
    template_name = "web/login.html"
    redirect_authenticated_user = True


@login_required
def home(request):
    region = current_region(request)
    compounds = narrow(request, scope.compounds_for(request.user))
    facilities = narrow(request, scope.facilities_for(request.user))
    totals = compounds.aggregate(n=Count("id"), households=Sum("households"),
                                 population=Sum("population"))
    n = totals["n"] or 0
    managed = compounds.exclude(property_status=Compound.PropertyStatus.NONE).count()
    committees = compounds.exclude(committee="").count()
    secretaries = compounds.filter(head_is_party_secretary=True).count()
    by_status = [
        {"label": label, "count": compounds.filter(property_status=value).count(), "value": value}
        for value, label in Compound.PropertyStatus.choices
    ]
    by_category = list(
        facilities.values("category__name", "category__name_en", "category__color")
        .annotate(n=Count("id")).order_by("-n")[:12]
    )
    top = max((c["n"] for c in by_category), default=1)
    for c in by_category:
        c["pct"] = round(100 * c["n"] / top)
    children = []
    if region is not None:
        for child in Region.objects.filter(parent=region).order_by("code"):
            p = code_prefix(child.code)
            children.append({
                "region": child,
                "compounds": compounds.filter(region__code__startswith=p).count(),
                "facilities": facilities.filter(region__code__startswith=p).count(),
            })
    generated = compounds.filter(generated=True).exists()

    def pct(k: int) -> str:
        return f"{100 * k / n:.1f}%" if n else "—"

    return render(request, "web/home.html", {
        "region": region, "totals": totals, "n": n,
        "managed": managed, "managed_pct": pct(managed),
        "committees": committees, "committees_pct": pct(committees),
        "secretaries": secretaries, "secretaries_pct": pct(secretaries),
        "old": compounds.filter(is_old=True).count(),
        "renovated": compounds.exclude(renovation_class="").count(),
        "facilities": facilities.count(),
        "signed": facilities.filter(signed_service_point=True).count(),
        "by_status": by_status, "by_category": by_category, "children": children,
        "generated": generated,
    })


def healthz(request):
    with connection.cursor() as cur:
        cur.execute("SELECT 1")
    return HttpResponse("ok", content_type="text/plain")

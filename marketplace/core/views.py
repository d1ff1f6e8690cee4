from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render

from marketplace.accounts.tenancy import TenantRequest
from marketplace.talent.models import Twin


def home(request: TenantRequest) -> HttpResponse:
    """Send each kind of user to the page that answers their first question."""
    viewer = request.viewer
    if viewer.is_agency:
        return redirect("talent:twin_list")
    if viewer.is_brand:
        return redirect("catalogue:list")
    if viewer.is_talent:
        return redirect("talent:my_home")
    if viewer.is_authenticated:
        return redirect("catalogue:list")
    featured = (
        Twin.objects.in_catalogue()
        .filter(cover__isnull=False)
        .select_related("cover", "agency")
        .order_by("-published_at")[:6]
    )
    return render(request, "core/landing.html", {"featured": featured})


def health(request: TenantRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})

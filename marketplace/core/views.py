from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render

from marketplace.talent.models import Twin


def home(request: HttpRequest) -> HttpResponse:
    """Send each kind of user to the page that answers their first question."""
    viewer = request.viewer  # type: ignore[attr-defined]
    if viewer.is_agency:
        return redirect("talent:twin_list")
    if viewer.is_brand:
        return redirect("catalogue:list")
    if viewer.is_talent:
        return redirect("talent:my_home")
    if viewer.is_authenticated:
        return redirect("catalogue:list")
    featured = (Twin.objects.in_catalogue().filter(cover__isnull=False)
                .select_related("cover", "agency").order_by("-published_at")[:6])
    return render(request, "core/landing.html", {"featured": featured})


def health(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})

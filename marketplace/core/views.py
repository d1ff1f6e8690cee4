from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from marketplace.accounts.tenancy import TenantRequest
from marketplace.core import notify
from marketplace.core.models import Notification
from marketplace.talent.models import Twin


def home(request: TenantRequest) -> HttpResponse:
    """Send each kind of user to the page that answers their first question."""
    viewer = request.viewer
    if viewer.is_agency:
        return redirect("dashboards:agency")
    if viewer.is_brand:
        return redirect("dashboards:brand")
    if viewer.is_talent:
        return redirect("dashboards:talent")
    if viewer.is_crew:
        return redirect("crew:home")
    if viewer.is_authenticated:
        return redirect("catalogue:list")
    featured = (
        Twin.objects.in_catalogue()
        # Only bookable twins: a paused twin's pictures are not shown to anonymous visitors.
        .filter(cover__isnull=False, status=Twin.Status.PUBLISHED)
        .select_related("cover", "agency")
        .order_by("-published_at")[:6]
    )
    return render(request, "core/landing.html", {"featured": featured})


def health(request: TenantRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


@login_required
def notifications(request: TenantRequest) -> HttpResponse:
    mine = Notification.objects.for_user(request.viewer.user.pk)
    if request.method == "POST":
        mine.filter(read_at__isnull=True).update(read_at=timezone.now())
        notify.unread_changed([request.viewer.user])
        return redirect("notifications")
    page = list(mine[:100])
    unread = [n.pk for n in page if n.read_at is None]
    response = render(request, "core/notifications.html", {"notifications": page, "unread": unread})
    # Seen now: the header count drops on the next page.
    mine.filter(pk__in=unread).update(read_at=timezone.now())
    notify.unread_changed([request.viewer.user])
    return response

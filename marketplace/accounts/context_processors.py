from django.http import HttpRequest

from marketplace.core.notify import unread_count


def tenancy(request: HttpRequest) -> dict[str, object]:
    user = getattr(request, "user", None)

    def unread() -> int:
        return unread_count(user)

    return {
        "viewer": getattr(request, "viewer", None),
        # Lazy: counted only when a page shows the header.
        "unread_notifications": unread if user is not None and user.is_authenticated else 0,
    }

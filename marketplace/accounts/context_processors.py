from django.http import HttpRequest


def tenancy(request: HttpRequest) -> dict[str, object]:
    return {"viewer": getattr(request, "viewer", None)}

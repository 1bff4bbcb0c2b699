from django.conf import settings
from django.http import HttpRequest

from kyocho.accounts.permissions import is_staff_member


def site(request: HttpRequest) -> dict[str, object]:
    user = getattr(request, "user", None)
    return {
        "SITE_URL": settings.SITE_URL,
        "DISPLAY_TIME_ZONE": settings.TIME_ZONE,
        "is_staff_member": is_staff_member(user),
    }

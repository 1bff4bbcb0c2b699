from django.urls import include, path

from kyocho.api.main import api
from kyocho.core import views as core_views

urlpatterns = [
    path("", include("kyocho.public.urls")),
    path("home/", core_views.home, name="home"),
    path("staff/", include("kyocho.staff.urls")),
    path("portal/", include("kyocho.portal.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("allauth.urls")),
    path("api/v1/", api.urls),
    path("healthz", core_views.healthz, name="healthz"),
]

from django.urls import path

from kyocho.public import registry_views, views

app_name = "public"
urlpatterns = [
    path("", views.index, name="index"),
    path("developers/", registry_views.developers, name="developers"),
    path("developers/register/", registry_views.register, name="register"),
    path("developers/register/received/", registry_views.registration_received, name="registration_received"),
]

from django.urls import path

from kyocho.public import views

app_name = "public"
urlpatterns = [path("", views.index, name="index")]

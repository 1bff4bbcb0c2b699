from django.urls import path

from kyocho.staff import views

app_name = "staff"
urlpatterns = [path("", views.dashboard, name="dashboard")]

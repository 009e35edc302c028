from django.urls import path

from domains import views

urlpatterns = [
    path("", views.home, name="home"),
]

"""The public site's files (www. host; also served on the bare development host)."""

from django.urls import path

from . import site_views

urlpatterns = [
    path("sitemap.xml", site_views.sitemap, name="zone-sitemap"),
    path("robots.txt", site_views.robots, name="zone-robots"),
]

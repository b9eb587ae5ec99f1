"""The zone's public site on its www. host (seed 003: landing page, sitemap.xml,
robots.txt), server-rendered, no sign-in."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from apps.tenancy.host_roles import sibling_url

from .models import ZoneSite


def _app_url(request, path: str = "/") -> str:
    if getattr(request, "host_role", None):
        return sibling_url(request, "app", path)
    return f"/learn{path}"


@require_GET
def landing(request):
    site = ZoneSite.current()
    return render(
        request,
        "learning/landing.html",
        {
            "site": site,
            "canonical": request.build_absolute_uri("/"),
            "app_url": _app_url(request),
            "login_url": _app_url(request, "/accounts/login/"),
        },
    )


@require_GET
@cache_control(max_age=3600, public=True)
def sitemap(request):
    base = request.build_absolute_uri("/").rstrip("/")
    pages = [f"{base}/"]
    body = ['<?xml version="1.0" encoding="UTF-8"?>', '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">']
    body += [f"  <url><loc>{page}</loc><changefreq>weekly</changefreq></url>" for page in pages]
    body.append("</urlset>")
    return HttpResponse("\n".join(body) + "\n", content_type="application/xml; charset=utf-8")


@require_GET
@cache_control(max_age=3600, public=True)
def robots(request):
    lines = ["User-agent: *"]
    if getattr(request, "host_role", None) in (None, "www"):
        lines += ["Allow: /", "Disallow: /learn/", "Disallow: /admin/", "Disallow: /api/", "Disallow: /accounts/"]
        lines.append(f"Sitemap: {request.build_absolute_uri('/sitemap.xml')}")
    else:
        lines.append("Disallow: /")  # the app, API and admin hosts are not for search engines
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")

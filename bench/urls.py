"""The project's URLs plus the floor: an authenticated view rendering a one-line template."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path

from config.urls import urlpatterns as project_urlpatterns


@login_required
def floor(request: HttpRequest) -> HttpResponse:
    return render(request, "bench/floor.html", {"name": request.user.get_username()})


urlpatterns = [path("bench/floor/", floor, name="bench_floor"), *project_urlpatterns]

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from clients.models import Client


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    clients = Client.objects.for_owner(request.user).order_by("name")[:50]
    return render(request, "crm/dashboard.html", {"clients": clients})

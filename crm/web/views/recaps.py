"""The recap of a call or a meeting: the freelancer writes it once (crm/recaps), then reads what the client
answered."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from crm.core.ownership import owned_or_404
from crm.models import Recap
from crm.models.recaps import RECAP_KINDS
from crm.recaps import writing
from crm.recaps.forms import RecapForm, line_formset
from crm.web.views.common import INTERACTIONS, HtmxHttpRequest

TEMPLATE = "crm/recap.html"


@login_required
@require_http_methods(["GET", "POST"])
def interaction_recap(request: HtmxHttpRequest, interaction_id: int) -> HttpResponse:
    """Show the call's recap with the client's answers; before it is written, its form (a POST writes it)."""
    interaction = owned_or_404(
        INTERACTIONS.select_related("client__owner__profile", "project"), request.user, pk=interaction_id
    )
    here = reverse("web:interaction_recap", kwargs={"interaction_id": interaction.pk})
    recap = Recap.objects.filter(interaction=interaction).first()
    if recap is not None:
        if request.method == "POST":
            return redirect(here)  # written already (a second tab, a double submit)
        lines = writing.lines_of([recap])[recap.pk]
        return render(request, TEMPLATE, {"interaction": interaction, "recap": recap, "lines": lines})
    if interaction.kind not in RECAP_KINDS:
        messages.error(request, _("A recap follows a call or a meeting: this interaction is neither."))
        return redirect("web:interaction", interaction_id=interaction.pk)
    form = RecapForm(request.POST or None)
    lines = line_formset(request.POST or None, writing.made_on(interaction))
    if request.method == "POST":
        earlier = form.earlier_submission(request.user)
        if earlier:
            return redirect(earlier)
        valid = form.is_valid()
        if lines.is_valid() and valid:  # both validated: every error shows at once
            data = form.cleaned_data
            try:
                _saved, url = form.save_once(
                    request.user,
                    here,
                    save=lambda: writing.write(
                        interaction, data["decided"], data["open_questions"], lines.lines()
                    ),
                )
            except ValidationError as error:
                form.add_error(None, error.messages)
            else:
                messages.success(request, _sent_message(interaction))
                return redirect(url)
    context = {"interaction": interaction, "form": form, "lines": lines}
    return render(request, TEMPLATE, context, status=400 if request.method == "POST" else 200)


def _sent_message(interaction: object) -> str:
    client = interaction.client  # type: ignore[attr-defined]
    if client.email:
        return _("Recap saved; it is on its way to %(email)s.") % {"email": client.email}
    return _("Recap saved. The client has no email address: it waits on their page.")

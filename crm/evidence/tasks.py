"""The Celery edge of an evidence pack: claim it, build it (crm/evidence/build.py), return."""

from __future__ import annotations

from celery import shared_task

from crm.evidence.build import build
from crm.models import EvidencePack

# A 5,000-event client takes seconds, a worker shared with imports longer (docs/performance.md): well past the
# default 60 s limit meant for mail, within a worker's grace period.
SOFT_TIME_LIMIT = 300


@shared_task(
    name="crm.build_evidence_pack",
    acks_late=True,
    soft_time_limit=SOFT_TIME_LIMIT,
    time_limit=SOFT_TIME_LIMIT + 30,
)
def build_evidence_pack(pack_id: int) -> str:
    """Build a queued pack once: the conditional update decides which worker (if several got it) builds it."""
    claimed = EvidencePack.objects.filter(pk=pack_id, state=EvidencePack.State.QUEUED).update(
        state=EvidencePack.State.RUNNING
    )
    if not claimed:
        return "taken"
    pack = EvidencePack.objects.without_files().select_related("client", "owner__profile").get(pk=pack_id)
    build(pack)
    return pack.state

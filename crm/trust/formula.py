"""The trust health formula: plain functions over plain facts, no ORM, so it can be property-tested and explained.

`docs/trust-model.md` is the reader's version of this module; change both together.

The shape, in one paragraph: every event of a client's history becomes a *mass*, positive (trust earned) or
negative (trust lost), multiplied by its component's weight and faded with age (bad events fade more slowly than
good ones). Good masses add up to P, bad ones to N, and

    score = 100 × G × B,   G = 1 − ½·exp(−P / GAIN_SCALE),   B = exp(−N / LOSS_SCALE)

A client with no history has P = N = 0, hence the neutral 50. Good events close a fraction of the gap to 100
("la confiance se gagne lentement"); each bad event takes away a fraction of what was earned ("elle se perd
autant rapidement"). The form is chosen so the promises of the tests hold for every history: adding a bad event
never raises the score, adding a good one never lowers it, and a bad event moves the score at least as far as the
matching good one (because G ≥ ½ and every bad mass ÷ LOSS_SCALE ≥ its good counterpart ÷ GAIN_SCALE).

Two sides, scored the same way from their own masses: "my word" (the freelancer's promises, status updates and
replies) and "the client's word" (their promises, payments, conflict signals and answers to the freelancer's
questions). The overall score is the score
above, capped at the weaker side plus 25 points (and never "healthy" while either side is at risk), so improving
one side never lowers it. The freelancer's own
feeling (a rating that weighs in for 30 days, fading over its last week) counts in the overall score only.

Smooth time (issue 22): nothing jumps on a calendar edge. Every "days since" is read on a clock of fractional local
days (`day_clock`), and every grace and expiry is a ramp: an open promise or an unpaid invoice grows in weight from
the end of its due day, the lapse of status updates comes in over two days, a feeling fades out. With nothing
logged, no score moves more than 3 points in a minute (tests/trust/test_smooth_time.py).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from decimal import Decimal
from typing import Any

from crm.core import rules
from crm.core.days import add_days, local_day, local_midnight
from crm.core.rules import SETTLE_AFTER_DAYS as SETTLE_AFTER_DAYS  # re-exported: the docs' test reads it here
from crm.core.rules import status_update_due_on

# -- the components and their weights ------------------------------------------------------------------------

PROMISES = "promises"
CADENCE = "cadence"
PAYMENTS = "payments"
CONFLICTS = "conflicts"
RECIPROCITY = "reciprocity"
RESPONSIVENESS = "responsiveness"
CLIENT_RESPONSIVENESS = "client_responsiveness"
FEELING = "feeling"
CLIENT_VOICE = (
    "client_voice"  # the client's own word on their page: check-ins and concerns they raised (issue 26)
)
COMPONENTS = (
    PROMISES,
    CADENCE,
    PAYMENTS,
    CONFLICTS,
    RECIPROCITY,
    RESPONSIVENESS,
    CLIENT_RESPONSIVENESS,
    FEELING,
    CLIENT_VOICE,
)

# The two sides of the word given ("réciprocité"): what the freelancer owes, and what the client owes.
MINE = "mine"
THEIRS = "client"
SIDES = (MINE, THEIRS)
SIDE_OF: dict[str, str] = {
    PROMISES: MINE,
    CADENCE: MINE,
    RESPONSIVENESS: MINE,
    PAYMENTS: THEIRS,
    RECIPROCITY: THEIRS,
    CONFLICTS: THEIRS,
    CLIENT_RESPONSIVENESS: THEIRS,  # the client's answers to the freelancer's questions
    CLIENT_VOICE: THEIRS,  # what the client said of the work themselves: their word, not the freelancer's feeling
    FEELING: "",  # the freelancer's own feeling belongs to neither side: it weighs in the overall score only
}

# Every mass of a component is multiplied by its weight.
# Each side's components, in a fixed order (the bulk and the one-client paths add them up the same way).
_SIDE_MEMBERS = tuple((side, tuple(c for c in COMPONENTS if SIDE_OF[c] == side)) for side in SIDES)

WEIGHTS: dict[str, float] = {
    PROMISES: 1.0,
    CADENCE: 0.8,
    PAYMENTS: 1.0,
    CONFLICTS: 1.0,
    RECIPROCITY: 0.6,
    RESPONSIVENESS: 0.5,
    CLIENT_RESPONSIVENESS: 0.5,
    FEELING: 1.0,
    CLIENT_VOICE: 1.0,
}

NEUTRAL_SCORE = 50
GAIN_SCALE = 5.0  # P at which G has closed 63% of the gap from 50 to 100
LOSS_SCALE = 5.0  # N at which B has fallen to 37%

# Recency: a mass halves every half-life. Bad events fade twice as slowly as good ones.
HALF_LIFE_GOOD_DAYS = 90.0
HALF_LIFE_BAD_DAYS = 180.0
# A settled problem (a resolved conflict, a status-update gap that was closed) keeps half its mass, then fades.
SETTLED_FACTOR = 0.5
HALF_LIFE_SETTLED_DAYS = 60.0

# Promises (the freelancer's, and the client's for reciprocity).
PROMISE_GRACE_DAYS = 2  # kept within two days of the due date counts as on time; overdue counts after that
PROMISE_KEPT_ON_TIME = 1.0
PROMISE_KEPT_LATE = -0.4
PROMISE_BROKEN_EXPLAINED = -0.8
# Explained, but only after the due date: the other side heard of the unforeseen once it had already waited for
# nothing ("l'éclaircissement sur les imprévus" is worth most before). Not silence, not a timely warning either.
PROMISE_BROKEN_EXPLAINED_LATE = -1.4
PROMISE_BROKEN_SILENTLY = -2.0
# Smooth time: an open promise past due grows in weight instead of jumping at the end of the grace. From the end of
# its due day it grows to the weight of a promise kept late at the end of the grace (so keeping it then never
# lowers the score), then to its full weight (as broken) PROMISE_RAMP_DAYS later. An open promise more than
# SETTLE_AFTER_DAYS past due (crm.core.rules) is "to settle": the app asks whether it was kept late, broken or
# dropped by agreement, and it keeps its full weight until it is settled (a word given does not fade while open).
PROMISE_RAMP_DAYS = 5.0
# A promise written in a recap the client confirmed ("je dis – je fais", written down and agreed by both sides),
# then kept on time, earns this much more than one only spoken of: a separate reason (`recap_promise_kept`).
RECAP_CONFIRMED_BONUS = 0.5

# Payments.
INVOICE_GRACE_DAYS = 3
# Smooth time: an unpaid invoice weighs in from the end of its due day, a little at first, and reaches the weight of
# its delay (below) at the end of the grace: paid within the grace it still counts as on time.
INVOICE_PAID_ON_TIME = 1.0
INVOICE_LATE_PER_30_DAYS = 1.0  # a payment a month late weighs -1.0 ...
INVOICE_LATE_MAX = 3.0  # ... up to -3.0 at three months
AMOUNT_WEIGHT_MIN, AMOUNT_WEIGHT_MAX = 0.5, 2.0  # an invoice's amount relative to the client's mean invoice
# What is still owed weighs more than what was paid late: an unpaid invoice past due weighs UNPAID_FACTOR times the
# same delay paid, times (1 + its share of everything billed to the client, across currencies).
UNPAID_FACTOR = 1.5
# Amounts in several currencies are weighed against each other in this one, converted by the loader with the
# reference rate of the invoice's day (`InvoiceFact.common_amount`, crm.models.Rate). An invoice in a currency
# without any rate is weighed against the client's invoices in its own currency only, and its reason says so.
COMMON_CURRENCY = "EUR"
# One story per debt: the client's word to pay an invoice by a new date (a promise linked to the invoice, or the
# renegotiated due date itself) is weighed with the invoice, once, on the payments component, with the masses of
# the client's promises (kept +1.0, kept late -0.4, broken -0.8 / -2.0) at the client's promises' weight. The
# invoice's lateness still runs from its ORIGINAL due date: a new date never resets it, so a broken word to pay
# always weighs more than no word at all, and a kept one a little less.
PAYMENT_WORD_WEIGHT = 0.6

# Payment reminders sent to the client (crm/reminders/payment_follow_up.py): having to chase a payment weighs on
# the client's word, more at each step (courteous, firmer, formal notice), and fades like every bad event. An open
# dispute is a payment conflict signal, weighed below with the others.
PAYMENT_REMINDER_MASSES = (0.3, 0.6, 1.0)

# Conflict signals: an open signal weighs kind x severity (1 minor, 2 serious, 3 critical), without fading.
CONFLICT_KIND_WEIGHTS: dict[str, float] = {"posture": 1.5, "payment": 1.0, "interests": 1.0, "ideas": 0.7}

# Scope drift: the guide's first conflict signal, divergent ideas, as it shows in practice ("clarifier les
# objectifs", 004): SCOPE_DRIFT_CHANGES changes of a project's scope or more, accepted or still pending, with no
# price impact, asked within SCOPE_DRIFT_WINDOW_DAYS, weigh like a minor open conflict of ideas. It holds while
# that many lie within the window, and fades out over the last SCOPE_DRIFT_FADE_DAYS of it (smooth time). A priced
# change, or a declined one, does not count.
SCOPE_DRIFT_CHANGES = 3
SCOPE_DRIFT_WINDOW_DAYS = 60
SCOPE_DRIFT_FADE_DAYS = 7.0

# Status-update cadence.
STATUS_UPDATE_SENT = 0.5  # at most one counted per half cadence, so a flood of updates earns no more
CADENCE_GRACE_DAYS = 2
# Smooth time: past the grace, the lapse comes in over CADENCE_RAMP_DAYS instead of all at once.
CADENCE_RAMP_DAYS = 2.0
LAPSE_PER_PERIOD = 0.55  # per cadence period overdue ...
LAPSE_MAX_PERIODS = 8.0  # ... counted up to eight periods
# ... plus the silence itself, whatever the cadence: 1.5 per 30 days overdue, up to three months. A month without
# news on a weekly cadence removes about half of a good score.
SILENCE_PER_30_DAYS = 1.5
SILENCE_MAX_MONTHS = 3.0

# Responsiveness: the freelancer's reply to a message from the client.
REPLY_WITHIN_DAYS = 2.0
REPLY_QUICK = 0.3
REPLY_SLOW_PER_DAY = 0.15  # per day beyond REPLY_WITHIN_DAYS ...
REPLY_SLOW_MAX = 1.5  # ... up to this
# The client's responsiveness ("des échanges bidirectionnels"): the client's answer to a question of the freelancer
# (an email or a message to the client that answers nothing), counted only when the answer is LINKED to it (by mail
# capture's threading or by hand). A client is given one more day than the freelancer, and the wait grows more
# slowly; a question never answered weighs like a slow answer, still growing, from the end of the grace on (a
# ramp, no step). Auto-replies and mailings are neither questions nor answers.
CLIENT_REPLY_WITHIN_DAYS = 3.0
CLIENT_REPLY_QUICK = 0.3
CLIENT_REPLY_SLOW_PER_DAY = 0.1  # per day beyond CLIENT_REPLY_WITHIN_DAYS ...
CLIENT_REPLY_SLOW_MAX = 1.5  # ... up to this (at 18 days)
# Interactions older than this are not loaded: by then their mass has faded below a quarter.
INTERACTION_HORIZON_DAYS = 365

# The freelancer's own feeling about the client ("la confiance est une prise de risque volontaire"): it weighs
# this much for FEELING_DAYS (crm.core.rules) from the day it was given; over its last FEELING_FADE_DAYS it fades
# to nothing (smooth time: it does not drop off at once when it expires).
FEELING_MASSES: dict[str, float] = {"trust": 1.0, "doubt": -1.0, "distrust": -2.0}
FEELING_FADE_DAYS = 7.0

# The client's own voice (issue 26), on the client's side: each check-in on their page ("How is our work going?")
# weighs its level's mass, faded like any event; of check-ins less than CHECK_IN_MIN_DAYS apart only the later
# counts, so answering every day earns (or loses) no more than once a week. A concern the client raised
# ("something bothers me") weighs as an open conflict signal of its kind at CLIENT_SIGNAL_SEVERITY, without fading,
# until the freelancer resolves it (then SETTLED_FACTOR of it, fading like a resolved conflict). Withdrawn by the
# client, a check-in or a concern no longer counts at all.
CHECK_IN_MASSES: dict[str, float] = {"good": 0.6, "mixed": -0.6, "poor": -1.5}
CHECK_IN_MIN_DAYS = 7.0
CLIENT_SIGNAL_SEVERITY = 2

# Fewer recent events than this (each counted by how much of it has not faded yet): "not enough history",
# unless the score is already at risk, or something has gone wrong already: a bad mass of at least BAD_EVIDENCE
# (then the score is judged as it is, so adding good evidence never turns "at risk" into "not enough history").
MIN_EVIDENCE = 3
BAD_EVIDENCE = 0.5
# The overall score is at most the weaker side's plus this: with the default bands (healthy 70, watch 45), a side
# at risk keeps the overall below healthy.
SIDE_MARGIN = 25.0
# A side rests on about half the events of the whole, so it earns at twice the pace (its G uses half GAIN_SCALE).
SIDE_GAIN_SCALE = GAIN_SCALE / 2
MAX_EVENTS_PER_REASON = 20

LN2 = math.log(2)
SECONDS_PER_DAY = 86400.0


# -- input facts ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PromiseFact:
    id: int
    made_on: date
    due_on: date
    state: str = "open"  # open | kept | broken | dropped (by agreement)
    kept_on: date | None = None
    broken_on: date | None = None
    clarified_on: date | None = None  # local day the unforeseen was explained to the other side
    promisor: str = "freelancer"  # freelancer | client
    dropped_on: date | None = None
    # The invoice a client's promise to pay is about: then it is weighed with that invoice (one story per debt).
    invoice: int | None = None
    # The local day the client confirmed the recap line holding this promise (crm/models/recaps.py), if they did.
    confirmed_on: date | None = None


@dataclass(frozen=True, slots=True)
class InvoiceFact:
    id: int
    amount: Decimal
    issued_on: date
    due_on: date
    paid_on: date | None = None
    renegotiated_due_on: date | None = None
    currency: str = "EUR"
    # (local day sent, step 1-3) of each payment reminder sent about it.
    reminders_sent: tuple[tuple[date, int], ...] = ()
    # The amount in COMMON_CURRENCY at the reference rate of its issue day (the loader converts it); None for an
    # amount already in COMMON_CURRENCY, or when no rate is known for its currency.
    common_amount: float | None = None

    @property
    def effective_due_on(self) -> date:
        return rules.effective_due_on(self.due_on, self.renegotiated_due_on)


@dataclass(frozen=True, slots=True)
class ConflictFact:
    id: int
    kind: str  # ideas | interests | payment | posture
    severity: int  # 1..3
    observed_on: date
    resolved_on: date | None = None
    raised_by: str = (
        "freelancer"  # freelancer | client (said on the client's page: `_client_voice` weighs it)
    )
    withdrawn_on: date | None = None  # a concern the client withdrew: from that day on it no longer counts


@dataclass(frozen=True, slots=True)
class CheckInFact:
    id: int
    answered_at: datetime
    level: str  # good | mixed | poor
    withdrawn_at: datetime | None = None  # withdrawn by the client: from then on it no longer counts


@dataclass(frozen=True, slots=True)
class ScopeChangeFact:
    id: int
    asked_on: date
    priced: bool = False  # a price impact was agreed (not zero)
    state: str = "pending"  # pending | accepted | declined


# The kinds of the freelancer's entries that wait for the client's answer (a meeting or a call is answered as it
# happens; a status update or a delivery asks nothing).
ASKING_KINDS = frozenset({"email", "message"})


@dataclass(frozen=True, slots=True)
class InteractionFact:
    id: int
    happened_at: datetime
    kind: str = "email"
    direction: str = "to_client"  # to_client | from_client
    answers: int | None = None  # the id of the interaction this one answers, when it was linked
    automatic: str = ""  # "auto_reply" | "bulk": sent by a machine, neither an answer nor a question

    @property
    def is_status_update(self) -> bool:
        return self.kind == "status_update" and self.direction == "to_client"

    @property
    def asks(self) -> bool:
        """Whether it can be a question to the client: an email or a message from the freelancer."""
        return self.kind in ASKING_KINDS and self.direction == "to_client"


@dataclass(frozen=True, slots=True)
class Journal:
    """A client's interactions up to now, reduced to what the formula reads from them (see `journals`).

    Two things count: each status update sent, and each *exchange*, a message from the client with the
    freelancer's answer to it (the reply) or None while unanswered. An answer is the freelancer's first interaction
    linked to one of the waiting messages, or, when it is linked to nothing, the first one that is not a status
    update (older entries have no link). More messages from the client before that reply change nothing.

    The other way, each *question*, the freelancer's email or message that answers nothing, with the client's
    answer to it or None while unanswered. Only an answer LINKED to one of the waiting questions counts (an
    unlinked message of the client answers nothing); more questions before that answer change nothing. That
    answer is not a message waiting for the freelancer's reply, as an answer of the freelancer is no question.
    """

    status_updates: tuple[tuple[int, datetime], ...] = ()  # (interaction id, sent at), oldest first
    exchanges: tuple[tuple[int, datetime, datetime | None], ...] = ()  # (message id, message at, reply at)
    questions: tuple[tuple[int, datetime, datetime | None], ...] = ()  # (question id, asked at, answer at)


@dataclass(frozen=True, slots=True)
class ClientFacts:
    """Everything the formula knows about one client."""

    id: int
    created_at: datetime
    cadence_days: int = 7
    # When the earliest active project started; None when the client has no active project (no cadence then).
    active_since: datetime | None = None
    last_status_update_at: datetime | None = None
    promises: tuple[PromiseFact, ...] = ()
    invoices: tuple[InvoiceFact, ...] = ()
    conflicts: tuple[ConflictFact, ...] = ()
    scope_changes: tuple[ScopeChangeFact, ...] = ()
    interactions: tuple[InteractionFact, ...] = ()
    # The interactions up to now already reduced, used instead of `interactions` when given: a bulk loader builds
    # it straight from sorted rows (`journals`) without one object per interaction.
    journal: Journal | None = None
    # The freelancer's time zone: day counts shown to them (a status update "overdue by N days") are local days.
    zone: tzinfo | None = None
    # Paused (the client's status): no status-update lapse accrues meanwhile.
    paused: bool = False
    # An active client (its status) owes status updates; a prospect, paused or former one does not
    # (crm.core.rules.status_update_listed: the dashboard, the digest and the nudge say the same).
    owes_status_updates: bool = True
    # The local days the client was or is away (holidays, illness, a pause of the client or of all its active
    # projects), merged by `crm.core.rules.away_spans`: no lapse accrues and no silence counts on those days.
    away: rules.Spans = ()
    # The freelancer's latest feeling about the client: (rating, local day given, their note); see FEELING_MASSES.
    feeling: tuple[str, date, str] | None = None
    # The client's check-ins on their page, any order (`_client_voice`).
    check_ins: tuple[CheckInFact, ...] = ()

    @property
    def has_active_project(self) -> bool:
        return self.active_since is not None


@dataclass(frozen=True, slots=True)
class BandThresholds:
    healthy: int = 70
    watch: int = 45
    min_evidence: int = MIN_EVIDENCE


# -- output --------------------------------------------------------------------------------------------------


@dataclass(slots=True)
class TrustHealth:
    score: int  # 0..100
    band: str  # healthy | watch | at_risk | insufficient
    exact: float  # the unrounded score, for tests and for ranking ties
    components: dict[str, dict[str, Any]]  # {name: {"score", "weight", "contribution", "evidence", "side"}}
    reasons: list[dict[str, Any]]  # most harmful first
    evidence_count: int
    recent_evidence: float = 0.0  # events counted by how much of them has not faded yet
    # {"mine": {...}, "client": {...}}, each {"score": 0-100 | None, "exact", "band", "evidence"}
    sides: dict[str, dict[str, Any]] = field(default_factory=dict)
    bad_mass: float = 0.0  # N, for the evidence rule

    @property
    def top_reason(self) -> dict[str, Any] | None:
        return self.reasons[0] if self.reasons else None


# -- the ledger: masses grouped into reasons -----------------------------------------------------------------


class _Entry:
    # A plain class with slots: a dataclass's default factories cost more than the rest of `_Ledger.add`.
    __slots__ = ("component", "code", "good", "bad", "count", "events", "params")

    def __init__(self, component: str, code: str) -> None:
        self.component = component
        self.code = code
        self.good = 0.0  # weighted positive mass
        self.bad = 0.0  # weighted negative mass (as a positive number)
        self.count = 0
        self.events: list[dict[str, Any]] = []
        self.params: dict[str, Any] = {}

    def keep_max(self, key: str, value: Any) -> None:
        if key not in self.params or value > self.params[key]:
            self.params[key] = value

    def keep_min(self, key: str, value: Any) -> None:
        if key not in self.params or value < self.params[key]:
            self.params[key] = value


class _Ledger:
    def __init__(self) -> None:
        self.entries: dict[str, _Entry] = {}  # by code (codes are unique across components), in order of use
        self.good: dict[str, float] = dict.fromkeys(COMPONENTS, 0.0)
        self.bad: dict[str, float] = dict.fromkeys(COMPONENTS, 0.0)
        self.raw_good: dict[str, float] = dict.fromkeys(COMPONENTS, 0.0)
        self.raw_bad: dict[str, float] = dict.fromkeys(COMPONENTS, 0.0)
        self.evidence: dict[str, int] = dict.fromkeys(COMPONENTS, 0)
        self.recent = 0.0  # events counted by how much of them is left after fading

    def add(
        self,
        component: str,
        code: str,
        base: float,
        age_days: float,
        half_life: float,
        event_type: str,
        event_id: int | None,
    ) -> _Entry:
        """Record one event: its `base` mass faded by age; positive earns trust, negative loses it."""
        left = (
            1.0 if age_days <= 0 else math.exp(-LN2 * age_days / half_life)
        )  # `_left`, inlined: the hot loop
        mass = base * left
        self.recent += left
        entry = self.entries.get(code)
        if entry is None:
            entry = self.entries[code] = _Entry(component, code)
        weighted = mass * WEIGHTS[component]
        if mass >= 0:
            entry.good += weighted
            self.good[component] += weighted
            self.raw_good[component] += mass
        else:
            entry.bad -= weighted
            self.bad[component] -= weighted
            self.raw_bad[component] -= mass
        entry.count += 1
        self.evidence[component] += 1
        if event_id is not None and len(entry.events) < MAX_EVENTS_PER_REASON:
            entry.events.append({"type": event_type, "id": event_id})
        return entry


def _left(age_days: float, half_life: float) -> float:
    """Return the share of an event left after `age_days` (halved every `half_life`; ongoing or future: 1)."""
    if age_days <= 0:
        return 1.0
    return math.exp(-LN2 * age_days / half_life)


def _half_life(base: float) -> float:
    return HALF_LIFE_GOOD_DAYS if base > 0 else HALF_LIFE_BAD_DAYS


# -- components ----------------------------------------------------------------------------------------------


def promise_outcome(promise: PromiseFact, today: date) -> tuple[str, date | None]:
    """Return (outcome, day it happened) as of `today`; outcomes as in `Promise.Outcome`, with the grace period.

    Events dated after `today` have not happened yet, so the history can be replayed as of any day. An explanation
    given by the due day is "explained", one given after it "explained_late" (not silence, not a timely warning
    either). An open promise within the grace after its due day is "in_grace"; after the grace "overdue"; more than
    SETTLE_AFTER_DAYS past due "to settle".
    """
    told_on = (
        promise.clarified_on if promise.clarified_on is not None and promise.clarified_on <= today else None
    )
    told = told_on is not None
    explained = told_on is not None and told_on <= promise.due_on
    suffix = "_explained" if explained else "_explained_late" if told else ""
    if promise.state == "kept" and promise.kept_on is not None and promise.kept_on <= today:
        late = rules.days_late(promise.due_on, promise.kept_on) > PROMISE_GRACE_DAYS
        return ("kept_late" if late else "kept_on_time"), promise.kept_on
    if promise.state == "broken" and promise.broken_on is not None and promise.broken_on <= today:
        return ("broken" + suffix if told else "broken_silently"), promise.broken_on
    if promise.state == "dropped" and promise.dropped_on is not None and promise.dropped_on <= today:
        return "dropped", promise.dropped_on
    if rules.is_to_settle(promise.due_on, today):
        return "to_settle" + suffix, None
    days_late = rules.days_late(promise.due_on, today)
    if days_late > PROMISE_GRACE_DAYS:
        return "overdue" + suffix, None
    return ("in_grace" if days_late > 0 else "open"), None


_PROMISE_MASSES = {
    "kept_on_time": PROMISE_KEPT_ON_TIME,
    "kept_late": PROMISE_KEPT_LATE,
    "broken_explained": PROMISE_BROKEN_EXPLAINED,
    "broken_explained_late": PROMISE_BROKEN_EXPLAINED_LATE,
    "broken_silently": PROMISE_BROKEN_SILENTLY,
}
# Still open past due: it grows to the weight of the broken promise it is becoming (`open_promise_mass`), explained
# in time, late or not at all, and keeps it until it is settled.
_OPEN_PROMISE_MASSES = {
    "": PROMISE_BROKEN_SILENTLY,
    "_explained": PROMISE_BROKEN_EXPLAINED,
    "_explained_late": PROMISE_BROKEN_EXPLAINED_LATE,
}


def open_promise_mass(days_past_due: float, full: float) -> float:
    """Return the (negative) mass of a promise still open `days_past_due` days after the end of its due day, `full`
    being the mass of the same promise broken. Smooth time: 0 at the end of the due day, the mass of a promise kept
    late at the end of the grace (keeping it then never lowers the score), `full` PROMISE_RAMP_DAYS later, and so
    on without fading until it is settled (kept, broken or dropped by agreement)."""
    if days_past_due <= 0:
        return 0.0
    if days_past_due <= PROMISE_GRACE_DAYS:
        return PROMISE_KEPT_LATE * days_past_due / PROMISE_GRACE_DAYS
    share = min((days_past_due - PROMISE_GRACE_DAYS) / PROMISE_RAMP_DAYS, 1.0)
    return min(PROMISE_KEPT_LATE + (full - PROMISE_KEPT_LATE) * share, PROMISE_KEPT_LATE)


def day_clock(now: datetime, today: date, zone: tzinfo | None) -> float:
    """Return the local day `today` as a number of days (its ordinal) plus the share of it gone by at `now` in
    `zone` (`now`'s own zone when none is given), between 0 and 1.

    Smooth time: every "days since" of the formula is read on this clock, so a weight that grows or fades with
    days moves a little each minute and nothing happens at midnight. A day of 23 or 25 hours (a change of daylight
    saving time) is one day all the same: its share runs from 0 to 1 over its real length.
    """
    zone = zone or now.tzinfo
    start = local_midnight(today, zone).timestamp()
    length = local_midnight(add_days(today, 1), zone).timestamp() - start
    share = (now.timestamp() - start) / length if length > 0 else 0.0
    return today.toordinal() + min(max(share, 0.0), 1.0)


def _since(day: date, clock: float) -> float:
    """Return the days from the start of the local `day` up to the clock (`day_clock`)."""
    return clock - day.toordinal()


def _promises(ledger: _Ledger, promises: Iterable[PromiseFact], today: date, clock: float) -> None:
    for promise in promises:
        if promise.made_on > today:
            continue
        outcome, on = promise_outcome(promise, today)
        if outcome in ("open", "dropped"):
            continue
        component, prefix = (
            (RECIPROCITY, "client_promise_") if promise.promisor == "client" else (PROMISES, "promise_")
        )
        if on is None:
            days_overdue = rules.days_late(promise.due_on, today)
            kind, _, suffix = outcome.partition("_explained")
            suffix = "_explained" + suffix if outcome != kind else ""
            code = prefix + ("to_settle" if kind == "to_settle" else outcome)
            mass = open_promise_mass(_since(promise.due_on, clock) - 1, _OPEN_PROMISE_MASSES[suffix])
            if mass >= 0:
                continue  # the very first instant after its due day
            entry = ledger.add(component, code, mass, 0, 1, "promise", promise.id)
            entry.keep_max("days_overdue", days_overdue)
            entry.keep_min("due_on", promise.due_on.isoformat())
            if kind == "to_settle":
                entry.keep_min("made_on", promise.made_on.isoformat())
            continue
        base = _PROMISE_MASSES[outcome]
        age = _since(on, clock)
        entry = ledger.add(component, prefix + outcome, base, age, _half_life(base), "promise", promise.id)
        if outcome == "kept_late":
            entry.keep_max("days_late", rules.days_late(promise.due_on, on))
        else:
            entry.keep_max("last_on", on.isoformat())


def _confirmed_recap_promises(
    ledger: _Ledger, promises: Iterable[PromiseFact], today: date, clock: float
) -> None:
    """Give each promise kept on time that the client had confirmed in a written recap its bonus
    (RECAP_CONFIRMED_BONUS, fading like any good event), on its side, as its own reason."""
    for promise in promises:
        if promise.confirmed_on is None or promise.confirmed_on > today or promise.state != "kept":
            continue
        outcome, on = promise_outcome(promise, today)
        if outcome != "kept_on_time" or on is None:
            continue
        component, code = (
            (RECIPROCITY, "client_recap_promise_kept")
            if promise.promisor == "client"
            else (PROMISES, "recap_promise_kept")
        )
        age = _since(on, clock)
        entry = ledger.add(
            component, code, RECAP_CONFIRMED_BONUS, age, HALF_LIFE_GOOD_DAYS, "promise", promise.id
        )
        entry.keep_max("last_on", on.isoformat())


def invoice_late_mass(days_late: int) -> float:
    """Return the (negative) mass of a payment `days_late` days after its due date."""
    if days_late <= INVOICE_GRACE_DAYS:
        return 0.0
    return -min(INVOICE_LATE_PER_30_DAYS * days_late / 30.0, INVOICE_LATE_MAX)


def owed_late_mass(days_past_due: float) -> float:
    """Return the (negative) lateness mass of an invoice still unpaid `days_past_due` days after the end of its due
    day (a fraction of a day counts). Smooth time: it grows from 0 at the end of the due day to the mass of the same
    delay paid at the end of the grace (`invoice_late_mass`), and is that mass from then on."""
    if days_past_due <= 0:
        return 0.0
    ramp = min(days_past_due / INVOICE_GRACE_DAYS, 1.0)
    return -min(INVOICE_LATE_PER_30_DAYS * days_past_due / 30.0, INVOICE_LATE_MAX) * ramp


def unpaid_mass(days_late: float, share: float) -> float:
    """Return the (negative) mass of an invoice still unpaid `days_late` days past due, `share` (0-1) being its
    part of everything billed to the client in its currency: always at least the same delay paid."""
    return owed_late_mass(days_late) * UNPAID_FACTOR * (1.0 + max(0.0, min(share, 1.0)))


def common_value(invoice: InvoiceFact) -> float | None:
    """Return the invoice's amount in COMMON_CURRENCY, or None when no reference rate converts it."""
    if invoice.common_amount is not None:
        return invoice.common_amount
    return float(invoice.amount) if invoice.currency == COMMON_CURRENCY else None


def payment_words(invoice: InvoiceFact, words: Iterable[PromiseFact], today: date) -> list[PromiseFact]:
    """Return the client's words to pay `invoice` by a new date, as of `today`: its linked promises, or, with none,
    its renegotiated due date read as one (kept by the payment, open until then)."""
    linked = [word for word in words if word.made_on <= today]
    if linked or invoice.renegotiated_due_on is None:
        return linked
    paid = invoice.paid_on if invoice.paid_on is not None and invoice.paid_on <= today else None
    return [
        PromiseFact(
            invoice.id,
            min(invoice.issued_on, invoice.renegotiated_due_on),
            invoice.renegotiated_due_on,
            "kept" if paid is not None else "open",
            paid,
            promisor="client",
            invoice=invoice.id,
        )
    ]


def payment_word_mass(word: PromiseFact, today: date, clock: float) -> tuple[str, float, float]:
    """Return (outcome, mass, age in days) of the client's word to pay by a new date, as of `today` (`clock`, see
    `day_clock`): the masses of the client's promises at PAYMENT_WORD_WEIGHT; an open one past due grows to the
    weight of a broken one (`open_promise_mass`) and keeps it until it is settled."""
    outcome, on = promise_outcome(word, today)
    if outcome in ("open", "dropped"):
        return outcome, 0.0, 0.0
    if on is None:
        kind, _, rest = outcome.partition("_explained")
        full = _OPEN_PROMISE_MASSES["_explained" + rest if outcome != kind else ""]
        return outcome, open_promise_mass(_since(word.due_on, clock) - 1, full) * PAYMENT_WORD_WEIGHT, 0.0
    return outcome, _PROMISE_MASSES[outcome] * PAYMENT_WORD_WEIGHT, _since(on, clock)


def _weigh_words(
    ledger: _Ledger, entry: _Entry, invoice: InvoiceFact, words: list[PromiseFact], today: date, clock: float
) -> None:
    """Add the client's words to pay `invoice` to its reason `entry` (one story: one reason, both facts named)."""
    for word in words:
        outcome, mass, age = payment_word_mass(word, today, clock)
        entry.keep_min("new_due_on", word.due_on.isoformat())
        if outcome in ("open", "dropped"):
            entry.params["words_open"] = entry.params.get("words_open", 0) + (outcome == "open")
            continue
        kept = outcome.startswith("kept")
        key = "words_kept" if kept else "words_broken"
        entry.params[key] = entry.params.get(key, 0) + 1
        # The word's mass joins the invoice's reason; it is not one more event of evidence.
        left = 1.0 if age <= 0 else math.exp(-LN2 * age / _half_life(mass))
        weighted = mass * left * WEIGHTS[PAYMENTS]
        if weighted >= 0:
            entry.good += weighted
            ledger.good[PAYMENTS] += weighted
            ledger.raw_good[PAYMENTS] += mass * left
        else:
            entry.bad -= weighted
            ledger.bad[PAYMENTS] -= weighted
            ledger.raw_bad[PAYMENTS] -= mass * left


def _payments(
    ledger: _Ledger,
    invoices: Iterable[InvoiceFact],
    today: date,
    clock: float,
    words: Iterable[PromiseFact] = (),
) -> None:
    issued = [invoice for invoice in invoices if invoice.issued_on <= today]
    if not issued:
        return
    words_of: dict[int, list[PromiseFact]] = {}
    for word in words:
        if word.invoice is not None:
            words_of.setdefault(word.invoice, []).append(word)
    # What is owed is weighed against what was billed across currencies, in COMMON_CURRENCY; an invoice whose
    # currency has no rate is weighed against the invoices of its own currency only (as before rates were kept).
    values: list[float] = []
    pools: list[str] = []
    billed: dict[str, float] = {}
    counts: dict[str, int] = {}
    for invoice in issued:
        common = common_value(invoice)
        pool = COMMON_CURRENCY if common is not None else invoice.currency
        value = common if common is not None else float(invoice.amount)
        values.append(value)
        pools.append(pool)
        billed[pool] = billed.get(pool, 0.0) + value
        counts[pool] = counts.get(pool, 0) + 1
    for invoice, value, pool in zip(issued, values, pools, strict=True):
        total = billed[pool]
        mean = total / counts[pool]
        weight = min(max(value / mean, AMOUNT_WEIGHT_MIN), AMOUNT_WEIGHT_MAX) if mean > 0 else 1.0
        for sent_on, step in invoice.reminders_sent:
            if sent_on <= today:
                entry = ledger.add(
                    PAYMENTS,
                    "payment_reminder_sent",
                    -PAYMENT_REMINDER_MASSES[min(max(step, 1), 3) - 1],
                    _since(sent_on, clock),
                    HALF_LIFE_BAD_DAYS,
                    "invoice",
                    invoice.id,
                )
                entry.keep_max("step", step)
        # The lateness runs from the ORIGINAL due date; the new date agreed is the client's word, weighed beside.
        due = invoice.due_on
        promised = payment_words(invoice, words_of.get(invoice.id, ()), today)
        paid = invoice.paid_on if invoice.paid_on is not None and invoice.paid_on <= today else None
        if paid is not None:
            days_late = rules.days_late(due, today, paid)
            age = _since(paid, clock)
            outcomes = [promise_outcome(word, today)[0] for word in promised]
            if days_late <= INVOICE_GRACE_DAYS:
                entry = ledger.add(
                    PAYMENTS,
                    "invoice_paid_on_time",
                    INVOICE_PAID_ON_TIME * weight,
                    age,
                    HALF_LIFE_GOOD_DAYS,
                    "invoice",
                    invoice.id,
                )
            else:
                code = (
                    "invoice_paid_on_renegotiated_date"
                    if outcomes and all(outcome == "kept_on_time" for outcome in outcomes[-1:])
                    else "invoice_paid_late"
                )
                entry = ledger.add(
                    PAYMENTS,
                    code,
                    invoice_late_mass(days_late) * weight,
                    age,
                    HALF_LIFE_BAD_DAYS,
                    "invoice",
                    invoice.id,
                )
                entry.keep_max("days_late", days_late)
                _weigh_words(ledger, entry, invoice, promised, today, clock)
            _note_currency(entry, invoice, value if pool == COMMON_CURRENCY else None)
            continue
        days_late = rules.days_late(due, today)
        share = value / total if total > 0 else 1.0
        mass = unpaid_mass(_since(due, clock) - 1, share) * weight
        if mass >= 0:
            continue  # not due yet
        # Within the grace it is weighed under its own reason: paid now, it still counts as on time.
        code = "invoice_overdue" if days_late > INVOICE_GRACE_DAYS else "invoice_in_grace"
        entry = ledger.add(PAYMENTS, code, mass, 0, 1, "invoice", invoice.id)
        entry.keep_max("days_late", days_late)
        entry.keep_min("due_on", due.isoformat())
        amounts = entry.params.setdefault("amounts", {})
        amounts[invoice.currency] = str(Decimal(amounts.get(invoice.currency, "0")) + invoice.amount)
        entry.keep_max("share", round(share, 2))
        entry.params["renegotiated"] = (
            bool(entry.params.get("renegotiated")) or invoice.renegotiated_due_on is not None
        )
        _weigh_words(ledger, entry, invoice, promised, today, clock)
        _note_currency(entry, invoice, value if pool == COMMON_CURRENCY else None)


def _note_currency(entry: _Entry, invoice: InvoiceFact, common: float | None) -> None:
    """Keep, on the reason, the currencies no rate could convert (weighed in their own currency only)."""
    if common is None:
        missing = entry.params.setdefault("no_rate", [])
        if invoice.currency not in missing:
            missing.append(invoice.currency)
            missing.sort()


def conflict_mass(kind: str, severity: int) -> float:
    """Return the (negative) mass of an open conflict signal."""
    return -CONFLICT_KIND_WEIGHTS.get(kind, 1.0) * max(1, min(severity, 3))


def _conflicts(ledger: _Ledger, conflicts: Iterable[ConflictFact], today: date, clock: float) -> None:
    for conflict in conflicts:
        if conflict.observed_on > today or conflict.raised_by == "client":
            continue  # the client's own concerns are their voice (`_client_voice`)
        mass = conflict_mass(conflict.kind, conflict.severity)
        if conflict.resolved_on is not None and conflict.resolved_on <= today:
            age = _since(conflict.resolved_on, clock)
            entry = ledger.add(
                CONFLICTS,
                "conflict_resolved",
                mass * SETTLED_FACTOR,
                age,
                HALF_LIFE_SETTLED_DAYS,
                "conflict",
                conflict.id,
            )
            entry.keep_max("last_resolved_on", conflict.resolved_on.isoformat())
            continue
        entry = ledger.add(CONFLICTS, f"conflict_open_{conflict.kind}", mass, 0, 1, "conflict", conflict.id)
        entry.keep_max("severity", conflict.severity)
        entry.keep_min("observed_on", conflict.observed_on.isoformat())


def unpriced_scope_changes(changes: Iterable[ScopeChangeFact], today: date) -> list[ScopeChangeFact]:
    """Return the scope changes that count toward scope drift on `today`, newest first: no price impact, accepted
    or pending, asked within SCOPE_DRIFT_WINDOW_DAYS."""
    start = today.toordinal() - SCOPE_DRIFT_WINDOW_DAYS
    counted = [
        change
        for change in changes
        if not change.priced
        and change.state != "declined"
        and start <= change.asked_on.toordinal() <= today.toordinal()
    ]
    return sorted(counted, key=lambda change: (change.asked_on, change.id), reverse=True)


def scope_drift_mass(changes: list[ScopeChangeFact], clock: float) -> float:
    """Return the (negative) mass of scope drift from `unpriced_scope_changes`: a minor conflict of ideas while
    SCOPE_DRIFT_CHANGES of them lie within the window, fading out over its last SCOPE_DRIFT_FADE_DAYS (0 else)."""
    if len(changes) < SCOPE_DRIFT_CHANGES:
        return 0.0
    # The drift lasts as long as the SCOPE_DRIFT_CHANGES-th newest change stays within the window.
    left = SCOPE_DRIFT_WINDOW_DAYS + 1 - _since(changes[SCOPE_DRIFT_CHANGES - 1].asked_on, clock)
    return conflict_mass("ideas", 1) * min(max(left / SCOPE_DRIFT_FADE_DAYS, 0.0), 1.0)


def _scope_drift(ledger: _Ledger, changes: Iterable[ScopeChangeFact], today: date, clock: float) -> None:
    counted = unpriced_scope_changes(changes, today)
    mass = scope_drift_mass(counted, clock)
    if mass >= 0:
        return
    entry = ledger.add(CONFLICTS, "scope_drift_unpriced", mass, 0, 1, "scope_change", counted[0].id)
    entry.params["changes"] = len(counted)
    entry.params["window_days"] = SCOPE_DRIFT_WINDOW_DAYS
    entry.keep_min("since", counted[-1].asked_on.isoformat())
    for change in counted[1:MAX_EVENTS_PER_REASON]:
        entry.events.append({"type": "scope_change", "id": change.id})


def _days(later: datetime, earlier: datetime) -> float:
    return (later - earlier).total_seconds() / SECONDS_PER_DAY


def lapse_mass(overdue_days: float, cadence_days: int) -> float:
    """Return the (negative) mass of a status update `overdue_days` past the agreed cadence: so much per cadence
    period, plus the silence itself (per 30 days, whatever the cadence), coming in over CADENCE_RAMP_DAYS after the
    grace."""
    if overdue_days <= CADENCE_GRACE_DAYS:
        return 0.0
    periods = min(overdue_days / max(cadence_days, 1), LAPSE_MAX_PERIODS)
    months = min(overdue_days / 30.0, SILENCE_MAX_MONTHS)
    # Smooth time: past the grace it comes in over CADENCE_RAMP_DAYS rather than all at once.
    ramp = min((overdue_days - CADENCE_GRACE_DAYS) / CADENCE_RAMP_DAYS, 1.0)
    return -(LAPSE_PER_PERIOD * periods + SILENCE_PER_30_DAYS * months) * ramp


def _cadence(
    ledger: _Ledger, facts: ClientFacts, updates: Iterable[tuple[int, datetime]], now: datetime, today: date
) -> None:
    cadence = max(facts.cadence_days, 1)
    if facts.active_since is None:
        # Between projects: no lapse, no gap, but the status updates sent still count (credit is kept).
        counted_at: datetime | None = None
        for update_id, sent_at in updates:
            if counted_at is None or _days(sent_at, counted_at) >= cadence / 2:
                counted_at = sent_at
                ledger.add(
                    CADENCE,
                    "status_updates_sent",
                    STATUS_UPDATE_SENT,
                    _days(now, sent_at),
                    HALF_LIFE_GOOD_DAYS,
                    "interaction",
                    update_id,
                )
        return
    start = facts.active_since
    counted_at = None
    previous = start
    half_cadence = cadence / 2
    for update_id, sent_at in updates:
        if sent_at < start:
            continue
        age = _days(now, sent_at)
        if counted_at is None or _days(sent_at, counted_at) >= half_cadence:
            counted_at = sent_at
            ledger.add(
                CADENCE,
                "status_updates_sent",
                STATUS_UPDATE_SENT,
                age,
                HALF_LIFE_GOOD_DAYS,
                "interaction",
                update_id,
            )
        gap_days = _days(sent_at, previous) - _away_between(facts, previous, sent_at)
        gap = lapse_mass(gap_days - cadence, cadence)
        if gap < 0:
            entry = ledger.add(
                CADENCE,
                "status_update_gap",
                gap * SETTLED_FACTOR,
                age,
                HALF_LIFE_SETTLED_DAYS,
                "interaction",
                update_id,
            )
            entry.keep_max("longest_gap_days", int(gap_days))
        previous = sent_at
    _lapse(ledger, facts, None if previous is start else previous, cadence, now, today)


def _away_between(facts: ClientFacts, earlier: datetime, later: datetime) -> int:
    """Return how many whole local days strictly between `earlier` and `later` the client was away: silence on
    those days is not counted (a past absence still explains a past gap when the book is recomputed)."""
    if not facts.away or later <= earlier:
        return 0
    first = local_day(earlier, facts.zone) + timedelta(days=1)
    last = local_day(later, facts.zone) - timedelta(days=1)
    return rules.days_away(first, last, facts.away) if first <= last else 0


def _lapse(
    ledger: _Ledger,
    facts: ClientFacts,
    last_loaded: datetime | None,
    cadence: int,
    now: datetime,
    today: date,
) -> None:
    """Weigh a status update owed and not sent while work is under way (an active project), by the one rule every
    face lists it with (`crm.core.rules.status_update_due_on`): an active client, not away, from its last status
    update (or, before any, from when it joined the book) plus the agreed cadence. Between projects nothing is
    weighed: the dashboard still lists the update as due, the score does not judge silence when no work runs."""
    if not facts.owes_status_updates or rules.is_away(today, paused=facts.paused, spans=facts.away):
        return  # a pause is not silence: no lapse accrues while it lasts
    # The journal keeps the last status update on the client too (interactions older than the horizon aren't loaded).
    last = facts.last_status_update_at if facts.last_status_update_at is not None else facts.created_at
    if last_loaded is not None and last < last_loaded <= now:
        last = last_loaded
    last_day = local_day(last, facts.zone)
    due_on = status_update_due_on(last_day, cadence, facts.away)
    due_at = rules.status_update_due_at(last, cadence)
    if due_on != status_update_due_on(last_day, cadence):
        # Due while the client was away: the lapse runs from the first day back, not from before the absence.
        due_at = max(due_at, datetime.combine(due_on, datetime.min.time(), facts.zone or now.tzinfo))
    overdue = _days(now, due_at) - _away_between(facts, due_at, now)
    lapse = lapse_mass(overdue, cadence)
    if lapse < 0:
        entry = ledger.add(CADENCE, "status_update_overdue", lapse, 0, 1, "client", facts.id)
        entry.params["due_on"] = due_on.isoformat()
        entry.params["days_overdue"] = rules.status_update_days_late(due_on, today)
        entry.params["cadence_days"] = cadence


def slow_reply_mass(days: float) -> float:
    """Return the mass of a reply `days` after the client's message: positive when quick, negative when slow."""
    if days <= REPLY_WITHIN_DAYS:
        return REPLY_QUICK
    return -min(REPLY_SLOW_PER_DAY * (days - REPLY_WITHIN_DAYS), REPLY_SLOW_MAX)


def _responsiveness(
    ledger: _Ledger,
    exchanges: Iterable[tuple[int, datetime, datetime | None]],
    now: datetime,
    today: date,
    zone: tzinfo | None,
) -> None:
    for message_id, message_at, reply_at in exchanges:
        if reply_at is None:  # the last exchange, while the client is still waiting
            days = _days(now, message_at)
            if days > REPLY_WITHIN_DAYS:
                entry = ledger.add(
                    RESPONSIVENESS,
                    "unanswered_message",
                    slow_reply_mass(days),
                    0,
                    1,
                    "interaction",
                    message_id,
                )
                since = local_day(message_at, zone)
                entry.params["since_on"] = since.isoformat()
                entry.params["days_waiting"] = (today - since).days
            continue
        days = _days(reply_at, message_at)
        mass = slow_reply_mass(days)
        age = _days(now, reply_at)
        if mass > 0:
            ledger.add(
                RESPONSIVENESS, "quick_replies", mass, age, HALF_LIFE_GOOD_DAYS, "interaction", message_id
            )
        else:
            entry = ledger.add(
                RESPONSIVENESS, "slow_replies", mass, age, HALF_LIFE_BAD_DAYS, "interaction", message_id
            )
            entry.keep_max("max_days", int(days))


def journals(
    rows: Iterable[tuple[int, int, Any, bool, bool, int | None, bool]],
    parse: Callable[[Any], datetime] | None = None,
) -> dict[int, Journal]:
    """Return each client's journal from (client id, interaction id, happened at, is a status update, is from the
    client, id of the interaction it answers, can ask: an email or a message to the client) rows, grouped by client
    and, within a client, in time order (happened at, then id), up to now, auto-replies and mailings left out.

    One pass, one tuple per row read: this is the loop a whole book goes through. Only the times kept go through
    `parse` (a database's text timestamps, say), so a loader can hand over its cursor as it is.
    """
    result: dict[int, Journal] = {}
    current: int | None = None
    updates: list[tuple[int, datetime]] = []
    exchanges: list[tuple[int, datetime, datetime | None]] = []
    questions: list[tuple[int, datetime, datetime | None]] = []
    # The client's first message since the freelancer's last answer, and every message waiting with it.
    waiting: tuple[int, Any] | None = None
    waiting_ids: set[int] = set()
    # The other way: the freelancer's first question since the client's last linked answer, and every one with it.
    asked: tuple[int, Any] | None = None
    asked_ids: set[int] = set()
    for client_id, interaction_id, at, status_update, from_client, answers, asks in rows:
        if client_id != current:
            if current is not None:
                result[current] = _journal(updates, exchanges, waiting, questions, asked, parse)
            current, updates, exchanges, waiting, questions, asked = client_id, [], [], None, [], None
            waiting_ids, asked_ids = set(), set()
        if from_client:
            # Only an answer linked to a waiting question closes the freelancer's wait for the client.
            if asked is not None and answers is not None and answers in asked_ids:
                question_id, question_at = asked
                questions.append(
                    (
                        question_id,
                        parse(question_at) if parse is not None else question_at,
                        parse(at) if parse is not None else at,
                    )
                )
                asked, asked_ids = None, set()
                continue  # the answer to my question waits for no reply of mine: the turn is back with me
            if waiting is None:
                waiting = (interaction_id, at)
            waiting_ids.add(interaction_id)
            continue
        # Only an answer closes the wait: linked to a waiting message, or linked to nothing and not a status update.
        answering = waiting is not None and (
            answers in waiting_ids if answers is not None else not status_update
        )
        if asks and answers is None and not answering:
            # A question: the freelancer's email or message that answers nothing.
            if asked is None:
                asked = (interaction_id, at)
            asked_ids.add(interaction_id)
        if not status_update and not answering:
            continue
        when = parse(at) if parse is not None else at
        if status_update:
            updates.append((interaction_id, when))
        if answering and waiting is not None:
            message_id, message_at = waiting
            exchanges.append((message_id, parse(message_at) if parse is not None else message_at, when))
            waiting = None
            waiting_ids = set()
    if current is not None:
        result[current] = _journal(updates, exchanges, waiting, questions, asked, parse)
    return result


def _journal(
    updates: list[tuple[int, datetime]],
    exchanges: list[tuple[int, datetime, datetime | None]],
    waiting: tuple[int, Any] | None,
    questions: list[tuple[int, datetime, datetime | None]],
    asked: tuple[int, Any] | None,
    parse: Callable[[Any], datetime] | None,
) -> Journal:
    if waiting is not None:
        message_id, message_at = waiting
        exchanges.append((message_id, parse(message_at) if parse is not None else message_at, None))
    if asked is not None:
        question_id, question_at = asked
        questions.append((question_id, parse(question_at) if parse is not None else question_at, None))
    return Journal(tuple(updates), tuple(exchanges), tuple(questions))


def journal_of(interactions: Iterable[InteractionFact], now: datetime) -> Journal:
    """Return the journal of one client's interactions up to `now`, in any order (auto-replies and mailings left
    out, as the loaders leave them out)."""
    ordered = sorted(
        (i for i in interactions if i.happened_at <= now and not i.automatic),
        key=lambda i: (i.happened_at, i.id),
    )
    rows = (
        (0, i.id, i.happened_at, i.is_status_update, i.direction == "from_client", i.answers, i.asks)
        for i in ordered
    )
    return journals(rows).get(0, Journal())


def client_answer_mass(days: float) -> float:
    """Return the mass of the client's answer `days` after the freelancer's question: positive when quick
    (within CLIENT_REPLY_WITHIN_DAYS), negative and growing with each day beyond, up to CLIENT_REPLY_SLOW_MAX."""
    if days <= CLIENT_REPLY_WITHIN_DAYS:
        return CLIENT_REPLY_QUICK
    return -min(CLIENT_REPLY_SLOW_PER_DAY * (days - CLIENT_REPLY_WITHIN_DAYS), CLIENT_REPLY_SLOW_MAX)


def client_waiting_mass(days: float) -> float:
    """Return the (negative or zero) mass of a question unanswered for `days`: nothing within the grace, then a
    ramp (continuous in time, no step), never heavier than answering that late would have weighed."""
    if days <= CLIENT_REPLY_WITHIN_DAYS:
        return 0.0
    return client_answer_mass(days)


def _client_responsiveness(
    ledger: _Ledger,
    questions: Iterable[tuple[int, datetime, datetime | None]],
    facts: ClientFacts,
    now: datetime,
    today: date,
) -> None:
    for question_id, asked_at, answer_at in questions:
        if answer_at is None:  # the last question, while the freelancer still waits for the client's answer
            if facts.paused or rules.is_covered(today, facts.away):
                continue  # the client paused the work, or is away: no wait accrues meanwhile
            # Away (holidays, illness, a pause) since the question: those days are not counted.
            mass = client_waiting_mass(_days(now, asked_at) - _away_between(facts, asked_at, now))
            if mass < 0:
                entry = ledger.add(
                    CLIENT_RESPONSIVENESS,
                    "client_unanswered_question",
                    mass,
                    0,
                    1,
                    "interaction",
                    question_id,
                )
                since = local_day(asked_at, facts.zone)
                entry.params["since_on"] = since.isoformat()
                entry.params["days_waiting"] = (today - since).days
            continue
        days = _days(answer_at, asked_at)
        mass = client_answer_mass(days)
        age = _days(now, answer_at)
        if mass > 0:
            ledger.add(
                CLIENT_RESPONSIVENESS,
                "client_quick_answers",
                mass,
                age,
                HALF_LIFE_GOOD_DAYS,
                "interaction",
                question_id,
            )
        else:
            entry = ledger.add(
                CLIENT_RESPONSIVENESS,
                "client_slow_answers",
                mass,
                age,
                HALF_LIFE_BAD_DAYS,
                "interaction",
                question_id,
            )
            entry.keep_max("max_days", int(days))


def feeling_share(days_since_given: float) -> float:
    """Return the share of a feeling's mass left `days_since_given` days after the start of the day it was given:
    all of it, then fading to nothing over the last FEELING_FADE_DAYS of its FEELING_DAYS (smooth time)."""
    left = (rules.FEELING_DAYS - days_since_given) / FEELING_FADE_DAYS
    return min(max(left, 0.0), 1.0)


def _feeling(ledger: _Ledger, facts: ClientFacts, today: date, clock: float) -> None:
    if facts.feeling is None:
        return
    rating, felt_on, note = facts.feeling
    expires_on = rules.feeling_expires_on(felt_on)
    if rating not in FEELING_MASSES or not rules.feeling_in_force(felt_on, today):
        return
    share = feeling_share(_since(felt_on, clock))
    if share <= 0:
        return
    entry = ledger.add(FEELING, f"feeling_{rating}", FEELING_MASSES[rating] * share, 0, 1, "client", facts.id)
    entry.params["felt_on"] = felt_on.isoformat()
    entry.params["expires_on"] = expires_on.isoformat()
    entry.params["note"] = note


# -- the client's own voice (issue 26) -------------------------------------------------------------------------


def counted_check_ins(check_ins: Iterable[CheckInFact], now: datetime) -> list[CheckInFact]:
    """Return the check-ins that count at `now`, newest first: answered by then, not withdrawn by then, and of
    those less than CHECK_IN_MIN_DAYS apart only the later one."""
    standing = sorted(
        (c for c in check_ins if c.answered_at <= now and (c.withdrawn_at is None or c.withdrawn_at > now)),
        key=lambda c: (c.answered_at, c.id),
        reverse=True,
    )
    counted: list[CheckInFact] = []
    for check_in in standing:
        if not counted or _days(counted[-1].answered_at, check_in.answered_at) >= CHECK_IN_MIN_DAYS:
            counted.append(check_in)
    return counted


def _client_voice(
    ledger: _Ledger,
    check_ins: Iterable[CheckInFact],
    conflicts: Iterable[ConflictFact],
    now: datetime,
    today: date,
    clock: float,
) -> None:
    """Weigh what the client said themselves on their page, on the client's side (reasons "the client said")."""
    for check_in in counted_check_ins(check_ins, now):
        base = CHECK_IN_MASSES.get(check_in.level)
        if base is None:
            continue
        entry = ledger.add(
            CLIENT_VOICE,
            f"client_check_in_{check_in.level}",
            base,
            _days(now, check_in.answered_at),
            _half_life(base),
            "check_in",
            check_in.id,
        )
        entry.keep_max("last_at", check_in.answered_at.isoformat())
    for signal in conflicts:
        if signal.raised_by != "client" or signal.observed_on > today:
            continue
        if signal.withdrawn_on is not None and signal.withdrawn_on <= today:
            continue  # withdrawn by the client: no longer their word
        mass = conflict_mass(signal.kind, CLIENT_SIGNAL_SEVERITY)
        if signal.resolved_on is not None and signal.resolved_on <= today:
            entry = ledger.add(
                CLIENT_VOICE,
                "client_signal_resolved",
                mass * SETTLED_FACTOR,
                _since(signal.resolved_on, clock),
                HALF_LIFE_SETTLED_DAYS,
                "conflict",
                signal.id,
            )
            entry.keep_max("last_resolved_on", signal.resolved_on.isoformat())
            continue
        entry = ledger.add(CLIENT_VOICE, f"client_signal_{signal.kind}", mass, 0, 1, "conflict", signal.id)
        entry.keep_min("observed_on", signal.observed_on.isoformat())


# -- the score -----------------------------------------------------------------------------------------------


def band_for(
    score: int,
    recent_evidence: float,
    thresholds: BandThresholds,
    bad_mass: float = 0.0,
    logged: int | None = None,
) -> str:
    """Return the band; too little recent evidence reads "not enough history", unless the score is at risk or
    something has gone wrong already (a bad mass of BAD_EVIDENCE or more): the evidence rule is monotone.

    With no evidence at all (`logged` is 0: nothing logged, only the status updates owed since the client joined
    and the freelancer's own feeling), it is "not enough history" whatever the score: a silence the journal may
    simply not record, or a feeling, is not a history to judge."""
    if logged == 0:
        return "insufficient"
    if score < thresholds.watch:
        return "at_risk"
    if recent_evidence < thresholds.min_evidence and bad_mass < BAD_EVIDENCE:
        return "insufficient"
    return "healthy" if score >= thresholds.healthy else "watch"


# What is weighed without being a logged event: the status update owed now (the journal may just not record the
# ones sent) and the freelancer's own feeling. Neither is evidence of a history.
_NOT_LOGGED = ("status_update_overdue", "feeling_trust", "feeling_doubt", "feeling_distrust")


def logged_evidence(ledger: _Ledger) -> int:
    """Return how many logged events the score rests on: every event weighed, bar those of `_NOT_LOGGED`."""
    unlogged = sum(ledger.entries[code].count for code in _NOT_LOGGED if code in ledger.entries)
    return sum(ledger.evidence.values()) - unlogged


def side_band(score: int | None, thresholds: BandThresholds) -> str:
    """Return a side's band from its score alone ("insufficient" when the side has no event)."""
    if score is None:
        return "insufficient"
    if score < thresholds.watch:
        return "at_risk"
    return "healthy" if score >= thresholds.healthy else "watch"


def _component_score(component: str, raw_good: float, raw_bad: float) -> int:
    """Return one component on its own, 0-100, with the same shape as the overall score."""
    earned = 1.0 if component == CONFLICTS else 1 - 0.5 * math.exp(-raw_good / 2.0)
    return int(math.floor(100 * earned * math.exp(-raw_bad / LOSS_SCALE) + 0.5))


def _side_score(good: float, bad: float) -> float:
    return 100 * (1 - 0.5 * math.exp(-good / SIDE_GAIN_SCALE)) * math.exp(-bad / LOSS_SCALE)


def _rounded(exact: float) -> int:
    return max(0, min(100, int(math.floor(exact + 0.5))))


def compute(
    facts: ClientFacts, now: datetime, today: date | None = None, thresholds: BandThresholds | None = None
) -> TrustHealth:
    """Return the trust health of one client as of `now` (`today` is the local day; defaults to `now`'s date)."""
    today = today or now.date()
    clock = day_clock(now, today, facts.zone)
    thresholds = thresholds or BandThresholds()
    ledger = _Ledger()
    # One story per debt: a client's promise to pay an invoice is weighed with that invoice, not as a promise too.
    billed = {invoice.id for invoice in facts.invoices}
    spoken = [p for p in facts.promises if p.invoice not in billed]
    _promises(ledger, spoken, today, clock)
    _confirmed_recap_promises(ledger, spoken, today, clock)
    _payments(ledger, facts.invoices, today, clock, [p for p in facts.promises if p.invoice in billed])
    _conflicts(ledger, facts.conflicts, today, clock)
    _scope_drift(ledger, facts.scope_changes, today, clock)
    journal = facts.journal if facts.journal is not None else journal_of(facts.interactions, now)
    _cadence(ledger, facts, journal.status_updates, now, today)
    _responsiveness(ledger, journal.exchanges, now, today, facts.zone)
    _client_responsiveness(ledger, journal.questions, facts, now, today)
    _feeling(ledger, facts, today, clock)
    _client_voice(ledger, facts.check_ins, facts.conflicts, now, today, clock)

    good = sum(ledger.good[c] for c in COMPONENTS)
    bad = sum(ledger.bad[c] for c in COMPONENTS)
    earned = 1 - 0.5 * math.exp(-good / GAIN_SCALE)
    kept = math.exp(-bad / LOSS_SCALE)
    mass_exact = 100 * earned * kept
    # score = 50 + gains - losses: the gains are shared among good events, the losses among bad ones.
    gains = 100 * (earned - 0.5)
    losses = 100 * earned * (1 - kept)

    # Each side on its own masses; a side without events stays at the neutral 50.
    sides: dict[str, dict[str, Any]] = {}
    goods, bads, counts = ledger.good, ledger.bad, ledger.evidence
    for side, members in _SIDE_MEMBERS:
        side_good = side_bad = 0.0
        evidence = 0
        for member in members:  # in a fixed order: the bulk and the one-client paths add up the same floats
            side_good += goods[member]
            side_bad += bads[member]
            evidence += counts[member]
        side_exact = _side_score(side_good, side_bad)
        side_score = _rounded(side_exact) if evidence else None
        sides[side] = {
            "score": side_score,
            "exact": side_exact,
            "band": side_band(side_score, thresholds),
            "evidence": evidence,
        }
    # The overall cannot be more than SIDE_MARGIN above the weaker side: a side at risk keeps it below healthy,
    # and raising either side never lowers it (a minimum of two non-decreasing terms).
    weaker = MINE if sides[MINE]["exact"] <= sides[THEIRS]["exact"] else THEIRS
    cap = sides[weaker]["exact"] + SIDE_MARGIN
    exact = min(mass_exact, cap)
    score = _rounded(exact)

    reasons: list[dict[str, Any]] = []
    contributions = dict.fromkeys(COMPONENTS, 0.0)
    for entry in ledger.entries.values():
        impact = (gains * entry.good / good if good else 0.0) - (losses * entry.bad / bad if bad else 0.0)
        contributions[entry.component] += impact
        params = {"count": entry.count, **entry.params}
        reasons.append(
            {
                "code": entry.code,
                "component": entry.component,
                "side": SIDE_OF[entry.component],
                "impact": round(impact, 1),
                "params": params,
                "events": entry.events,
                "_sort": impact,
            }
        )
    if exact < mass_exact:
        reasons.append(
            {
                "code": f"held_by_{weaker}_side",
                "component": "",
                "side": weaker,
                "impact": round(exact - mass_exact, 1),
                "params": {
                    "count": 1,
                    "side_score": sides[weaker]["score"] if sides[weaker]["score"] is not None else 50,
                    "margin": SIDE_MARGIN,
                },
                "events": [{"type": "client", "id": facts.id}],
                "_sort": exact - mass_exact,
            }
        )
    # What hurts first, most harmful first; then what helps, most helpful first.
    reasons.sort(key=lambda r: (r["_sort"], r["code"]) if r["_sort"] < 0 else (1, -r["_sort"], r["code"]))
    for reason in reasons:
        del reason["_sort"]

    evidence = logged_evidence(ledger)
    band = band_for(score, ledger.recent, thresholds, bad, evidence)
    if band == "healthy" and any(sides[side]["band"] == "at_risk" for side in SIDES):
        band = "watch"  # whatever the thresholds: never healthy while one side is at risk
    if band == "insufficient":
        reasons.insert(
            0,
            {
                "code": "not_enough_history",
                "component": "",
                "side": "",
                "impact": 0.0,
                "params": {
                    "count": evidence,
                    "recent": round(ledger.recent, 1),
                    "needed": thresholds.min_evidence,
                },
                "events": [{"type": "client", "id": facts.id}],
            },
        )
    components = {
        c: {
            "score": _component_score(c, ledger.raw_good[c], ledger.raw_bad[c])
            if ledger.evidence[c]
            else None,
            "weight": WEIGHTS[c],
            "contribution": round(contributions[c], 1),
            "evidence": ledger.evidence[c],
            "side": SIDE_OF[c],
        }
        for c in COMPONENTS
    }
    return TrustHealth(
        score=score,
        band=band,
        exact=exact,
        components=components,
        reasons=reasons,
        evidence_count=evidence,
        recent_evidence=ledger.recent,
        sides=sides,
        bad_mass=bad,
    )

"""The client book: the freelancer's profile, their clients and the clients' projects."""

from __future__ import annotations

import functools
import hashlib
import secrets
import zoneinfo
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, validate_email
from django.db import connections, models, router, transaction
from django.db.models import Count, ExpressionWrapper, F, Func, OuterRef, Q, Subquery
from django.db.models.constants import OnConflict
from django.db.models.functions import Coalesce
from django.db.models.sql import InsertQuery
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.manager import HistoryManager
from simple_history.models import HistoricalRecords

from clients.identity import LegalForm, compact, validate_registration_number, validate_vat_number
from crm.core import queries, rules
from crm.core.checks import CheckConstraint, LoadedRelationsChecked
from crm.core.countries import CountryField
from crm.core.dates import validate_day_in_window, validate_moment_in_window, window_constraint
from crm.core.days import add_days, local_day


class BookHistoryManager(HistoryManager):
    """django-simple-history's manager of a record's history, its class built once per queryset class.

    simple-history builds the class anew (`from_queryset`: a new class, and a scan of the queryset's methods) each
    time `record.history` is read, so once for every history row it writes: a tenth of a millisecond of every
    save of the book."""

    _classes: ClassVar[dict[tuple[Any, ...], type]] = {}

    @classmethod
    def from_queryset(cls, queryset_class: type, class_name: str | None = None) -> Any:
        key = (cls, queryset_class, class_name)
        if key not in cls._classes:
            cls._classes[key] = super().from_queryset(queryset_class, class_name)
        return cls._classes[key]


class BookHistory(HistoricalRecords):
    """History of a record of the book (django-simple-history): who changed what and when.

    A delete records the deleted record itself, not every row its cascade takes along: a client sent to the
    trash with thousands of events would otherwise write a history row per event, one INSERT each (the trash
    keeps those rows; the client's own history says it was deleted).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("history_manager", BookHistoryManager)
        super().__init__(*args, **kwargs)

    def post_delete(self, instance: Any, using: str | None = None, **kwargs: Any) -> None:
        origin = kwargs.get("origin")
        if isinstance(origin, models.Model) and origin is not instance:
            return
        super().post_delete(instance, using=using, **kwargs)


class Language(models.TextChoices):
    FRENCH = "fr", _("French")
    ENGLISH = "en", _("English")


class ClientKind(models.TextChoices):
    BUSINESS = "business", _("business")
    CONSUMER = "consumer", _("consumer")


class Tone(models.TextChoices):
    FORMAL = "formal", _("formal")
    FRIENDLY = "friendly", _("friendly")


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("“%(value)s” is not a known time zone."), params={"value": value})


def new_calendar_token() -> str:
    """Kept for the migrations that name it: the calendar address is now a secret link (crm/core/links.py)."""
    return secrets.token_urlsafe(24)


def new_calendar_key() -> str:
    """Return a new calendar address key: 72 random bits, public, only there to find the profile."""
    return secrets.token_urlsafe(9)


# A new client's country when the freelancer gave no business address: the one their language suggests.
LANGUAGE_COUNTRY = {"fr": "FR", "en": "GB"}

# What a client reads where the freelancer filled in no name at all.
NEUTRAL_NAME = _("your contractor")

REMINDERS_IN_ORDER = _(
    "The reminders must come one after the other: courteous first, then firmer, then the formal notice."
)


class Profile(models.Model):
    """One freelancer: how they want to be spoken to and reminded."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile")
    display_name = models.CharField(_("display name"), max_length=120, blank=True)
    language = models.CharField(_("language"), max_length=2, choices=Language, default=Language.ENGLISH)
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="Europe/Paris", validators=[validate_time_zone]
    )
    digest_weekday = models.PositiveSmallIntegerField(
        _("digest weekday"), choices=Weekday, default=Weekday.MONDAY
    )
    digest_hour = models.PositiveSmallIntegerField(
        _("digest hour"), default=8, validators=[MinValueValidator(0), MaxValueValidator(23)]
    )
    digest_enabled = models.BooleanField(_("send me the weekly digest"), default=True)
    digest_when_empty = models.BooleanField(
        _("send an “all clear” digest when there is nothing to report"), default=True
    )
    nudges_enabled = models.BooleanField(_("remind me when a status update is due"), default=True)
    # Payment follow-up (crm/reminders/payment_follow_up.py): the days after an invoice's due date at which each reminder
    # is prepared; a client may have its own.
    reminder_courteous_days = models.PositiveSmallIntegerField(
        _("courteous payment reminder, days after the due date"),
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
    )
    reminder_firm_days = models.PositiveSmallIntegerField(
        _("firmer payment reminder, days after the due date"),
        default=15,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
    )
    reminder_notice_days = models.PositiveSmallIntegerField(
        _("formal notice, days after the due date"),
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
    )
    payment_reminders_auto = models.BooleanField(
        _("send payment reminders without asking me first"),
        default=False,
        help_text=_("Otherwise each reminder waits for your approval."),
    )
    # The business identity: who the freelancer is to a client (clients/identity.py has the rules of its numbers).
    # On the profile, which every request loads anyway: the client's page and every email read it for free.
    trade_name = models.CharField(
        _("trade name"),
        max_length=120,
        blank=True,
        help_text=_("The name your clients know your business by; your own name if you have none."),
    )
    legal_form = models.CharField(_("legal form"), max_length=8, choices=LegalForm, blank=True)
    registration_number = models.CharField(
        _("registration number (SIREN or SIRET)"),
        max_length=14,
        blank=True,
        validators=[validate_registration_number],
    )
    vat_number = models.CharField(
        _("EU VAT number"), max_length=16, blank=True, validators=[validate_vat_number]
    )
    address_line1 = models.CharField(_("address"), max_length=120, blank=True)
    address_line2 = models.CharField(_("address (continued)"), max_length=120, blank=True)
    postcode = models.CharField(_("postcode"), max_length=16, blank=True)
    city = models.CharField(_("city"), max_length=80, blank=True)
    country = CountryField(_("country"), blank=True)
    business_email = models.EmailField(
        _("contact email"),
        blank=True,
        help_text=_("Where your clients write to you; also the reply address."),
    )
    business_phone = models.CharField(_("phone"), max_length=32, blank=True)
    website = models.URLField(_("website"), max_length=200, blank=True)
    signature = models.TextField(
        _("signature"),
        max_length=500,
        blank=True,
        help_text=_("Ends every email to a client, under your name."),
    )
    # The calendar feed's address is a secret link (crm/core/links.py, made and checked by crm/reminders/calendar.py):
    # this key finds the profile; of the secret only its SHA-256 is kept ("" until the address is first shown).
    calendar_key = models.CharField(max_length=12, unique=True, default=new_calendar_key, editable=False)
    calendar_secret_hash = models.CharField(max_length=64, blank=True, default="", editable=False)
    # Moves whenever anything in the freelancer's book changes (see `book_changed`): what the dashboard caches
    # about the book is keyed on it. The middleware loads the profile anyway, so reading it costs nothing.
    book_version = models.PositiveBigIntegerField(default=0, editable=False)
    # The clients whose journal the last move of `book_version` stands for (moved with it, in the same UPDATE);
    # None when it stands for anything else (a client deleted, the whole book): the dashboard, one move behind,
    # reads again these clients only (crm/web/views/board.py `refreshed`).
    book_changed_clients = models.JSONField(null=True, default=None, editable=False)
    # Carried by every emailed preferences link; moving it revokes every link sent so far.
    email_links_version = models.PositiveIntegerField(default=0, editable=False)
    # Email verification (clients/verification.py). An account made by the operator (createsuperuser, the
    # admin, a shell) is trusted; sign-up clears this until its link is followed. Until then nothing is emailed
    # from or to the account (crm/reminders/outbox.py), the verification mail and password resets apart.
    email_verified = models.BooleanField(_("email verified"), default=True)
    # A new address asked for in Settings: used only once its link is followed (the old one stays until then).
    pending_email = models.EmailField(_("new email, waiting for its verification"), blank=True)

    class Meta:
        verbose_name = _("freelancer profile")
        constraints = [
            CheckConstraint(
                condition=Q(digest_hour__gte=0, digest_hour__lte=23), name="profile_digest_hour_0_23"
            ),
            CheckConstraint(
                condition=Q(digest_weekday__gte=0, digest_weekday__lte=6), name="profile_digest_weekday_0_6"
            ),
            CheckConstraint(
                condition=Q(reminder_courteous_days__gte=1)
                & Q(reminder_firm_days__gt=F("reminder_courteous_days"))
                & Q(reminder_notice_days__gt=F("reminder_firm_days"))
                & Q(reminder_notice_days__lte=365),
                name="profile_reminder_days_increase",
                violation_error_message=REMINDERS_IN_ORDER,
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        # A profile loaded before a change of the book must not write its older book_version back.
        if not self._state.adding and kwargs.get("update_fields") is None:
            kwargs["update_fields"] = [
                field.name
                for field in self._meta.concrete_fields
                if not field.primary_key and field.name not in {"book_version", "book_changed_clients"}
            ]
        super().save(*args, **kwargs)

    @property
    def reminder_days(self) -> tuple[int, int, int]:
        return (self.reminder_courteous_days, self.reminder_firm_days, self.reminder_notice_days)

    @classmethod
    def book_changed(cls, owner_ids: Iterable[int], client_ids: Iterable[int] | None = None) -> None:
        """Move the book version of these freelancers (one UPDATE, atomic in the database); `client_ids` says
        which clients' journals changed, when that is all that changed in one freelancer's book."""
        owners = set(owner_ids)
        changed = sorted(set(client_ids)) if client_ids is not None and len(owners) == 1 else None
        if len(owners) == 1:
            # The journal's door moves one book after each click: the same UPDATE, written once per database
            # (building and compiling it took the ORM a third of the door's time), run with this book's values.
            connection = connections[router.db_for_write(cls)]
            column = cls._meta.get_field("book_changed_clients")
            with connection.cursor() as cursor:
                cursor.execute(
                    _book_changed_sql(connection.alias),
                    [column.get_db_prep_save(changed, connection), *owners],
                )
            return
        cls.objects.filter(user_id__in=owners).update(
            book_version=F("book_version") + 1, book_changed_clients=changed
        )

    @property
    def name(self) -> str:
        """Return the name the freelancer is greeted by in the app and its emails to them (never shown to a
        client: see `client_facing_name`)."""
        return self.display_name or self.user.get_username()

    # -- the business identity, as a client sees it ------------------------------------------------------------

    @property
    def client_facing_name(self) -> str:
        """Return the person a client deals with: the display name, else the trade name, else a neutral wording;
        never the login name, which the freelancer chose for themselves."""
        return self.display_name or self.trade_name or str(NEUTRAL_NAME)

    @property
    def business_name(self) -> str:
        """Return the business a client deals with: the trade name, else the display name, else a neutral wording."""
        return self.trade_name or self.display_name or str(NEUTRAL_NAME)

    @property
    def address_lines(self) -> list[str]:
        town = " ".join(part for part in (self.postcode, self.city) if part)
        country = str(self.country.name) if self.country else ""
        return [line for line in (self.address_line1, self.address_line2, town, country) if line]

    def creditor_lines(self) -> list[str]:
        """Return who the creditor is, line by line, as a formal notice names them: the trade name and legal form,
        the person, the registration and VAT numbers, the postal address (what is filled in)."""
        business = self.trade_name or self.display_name
        if business and self.legal_form:
            business = f"{business} ({self.get_legal_form_display()})"
        lines = [business] if business else []
        if self.trade_name and self.display_name:
            lines.append(self.display_name)
        if self.registration_number:
            kind = _("SIRET") if len(self.registration_number) == 14 else _("SIREN")
            lines.append(f"{kind} {self.registration_number}")
        if self.vat_number:
            lines.append(f"{_('VAT number')} {self.vat_number}")
        return lines + self.address_lines

    def signature_lines(self) -> list[str]:
        """Return how an email to a client ends: the person, the business when it has another name, the
        signature text."""
        lines = [self.client_facing_name]
        if self.trade_name and self.trade_name != lines[0]:
            lines.append(self.trade_name)
        return lines + self.signature.strip().splitlines()

    def sender(self, address: str) -> str:
        """Return a From header for an email to a client: the business's name on `address`, never the login."""
        from email.utils import formataddr, parseaddr

        return formataddr((self.business_name, parseaddr(address)[1]))

    def contact_lines(self) -> list[str]:
        return [line for line in (self.business_email, self.business_phone, self.website) if line]

    def identity_missing(self) -> list[str]:
        """Return what is missing from the business identity, each with why it matters (Settings lists them)."""
        missing = []
        if not self.display_name:
            missing.append(_("Add your display name: your clients see it instead of your login name."))
        if not self.trade_name:
            missing.append(_("Add your trade name: the client's page and your emails are signed with it."))
        if not self.legal_form:
            missing.append(_("Add your legal form: the formal notice needs it."))
        if not self.registration_number:
            missing.append(_("Add your registration number: the formal notice needs it."))
        if not (self.address_line1 and self.city and self.country):
            missing.append(_("Add your postal address: the formal notice needs it."))
        if not self.business_email:
            missing.append(_("Add a contact email: your clients' answers go there."))
        return missing

    def clean(self) -> None:
        # Numbers are kept as the registries write them: no spaces, upper case.
        self.registration_number = compact(self.registration_number)
        self.vat_number = compact(self.vat_number)

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    def local_today(self, now: datetime | None = None) -> date:
        """Return the freelancer's day at `now` (or now), in their time zone."""
        return local_day(now or timezone.now(), self.zone)

    def revoke_email_links(self) -> None:
        """Make every preferences link emailed so far invalid (the next emails carry fresh ones)."""
        Profile.objects.filter(pk=self.pk).update(email_links_version=F("email_links_version") + 1)
        self.refresh_from_db(fields=["email_links_version"])

    def revoke_calendar_token(self) -> None:
        """Replace the calendar address: the old one finds no profile from now on; the new one is made when shown."""
        self.calendar_key, self.calendar_secret_hash = new_calendar_key(), ""
        self.save(update_fields=["calendar_key", "calendar_secret_hash"])

    def may_send_email(self) -> bool:
        """Return whether mail may go out on this account's behalf: only once its address is verified."""
        return self.email_verified

    def ask_email_change(self, email: str) -> None:
        """Remember `email` as the account's next address; the current one stays until it is verified."""
        self.pending_email = email
        self.save(update_fields=["pending_email"])

    def confirm_email(self, email: str) -> bool:
        """Verify `email` (the account's address, or the one waiting in `pending_email`, which then replaces
        it); return False when it is neither any more (an older link, another change since)."""
        user = self.user
        with transaction.atomic():
            # Another account may have taken the address since the link was sent: it stays theirs.
            if type(user).objects.filter(email__iexact=email).exclude(pk=user.pk).exists():
                return False
            if self.pending_email and email.lower() == self.pending_email.lower():
                user.email = self.pending_email
                user.save(update_fields=["email"])
            elif not user.email or email.lower() != user.email.lower():
                return False
            self.pending_email = ""
            self.email_verified = True
            self.save(update_fields=["pending_email", "email_verified"])
        return True


class AccountSession(models.Model):
    """A signed-in session of an account as Settings → Sessions lists it: which device, from where, last seen.

    Written at login (clients/devices.py), refreshed at most every few minutes by its middleware, deleted at
    logout or when the owner signs it out from another device (its session is deleted with it)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="account_sessions"
    )
    session_key = models.CharField(max_length=40)
    user_agent = models.CharField(max_length=300, blank=True)
    ip_address = models.CharField(max_length=45, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_seen = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-last_seen"]
        # Sign-out finds a session's row by its key (logout, a key cycled by a password change).
        indexes = [models.Index(fields=["session_key"], name="accountsession_key_idx")]

    def __str__(self) -> str:
        return f"{self.user} · {self.ip_address}"


# The business identity's fields, in the order Settings, the exports and the import use them.
IDENTITY_FIELDS = (
    "display_name",
    "trade_name",
    "legal_form",
    "registration_number",
    "vat_number",
    "address_line1",
    "address_line2",
    "postcode",
    "city",
    "country",
    "business_email",
    "business_phone",
    "website",
    "signature",
)


class BusinessLogo(models.Model):
    """The freelancer's logo: the re-encoded pixels of a checked PNG, JPEG or WebP (clients/identity.py).

    Kept in the database, not under a media URL: it is served only by views that fix its type and scope it to its
    owner or to a client's page link, and it stays out of the profile that every request loads."""

    owner = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="business_logo"
    )
    image = models.BinaryField()
    content_type = models.CharField(max_length=16)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("logo")
        constraints = [
            CheckConstraint(
                condition=Q(content_type__in=["image/png", "image/jpeg", "image/webp"]),
                name="business_logo_raster_types_only",
            )
        ]

    def __str__(self) -> str:
        return f"logo of {self.owner_id}"


# How long a form's one-time token stays claimed: a day covers any double click or resent request.
CLAIMS_KEPT = timedelta(days=1)


class FormSubmission(models.Model):
    """A create form's one-time token, claimed by the first post that carries it (see clients/forms.py,
    `IdempotentFormMixin`): a second post of the same form (a double click, a resent request) finds it taken
    and creates nothing. Claimed in the request's transaction, so a post that fails leaves the token free."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    token = models.CharField(max_length=64)
    # Where the first post led: the second is sent there too.
    result_url = models.CharField(max_length=500, blank=True)
    claimed_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("form submission")
        constraints = [
            models.UniqueConstraint(fields=["owner", "token"], name="form_submission_owner_token_unique")
        ]

    def __str__(self) -> str:
        return self.token

    @classmethod
    def claim(cls, owner: Any, token: str, result_url: str = "") -> bool:
        """Claim `token` for `owner` in one statement (`INSERT ... ON CONFLICT DO NOTHING`: no savepoint, no
        error to catch); return False when it was claimed already, by an earlier post of the same form.

        On PostgreSQL a post claiming a token that another transaction claimed and has not committed yet waits
        here for it: it then finds the token taken, or claims it when that transaction was rolled back."""
        row = cls(owner=owner, token=token, result_url=result_url[:500])
        using = router.db_for_write(cls)
        query = InsertQuery(cls, on_conflict=OnConflict.IGNORE)
        query.insert_values([field for field in cls._meta.concrete_fields if not field.primary_key], [row])
        with connections[using].cursor() as cursor:
            for statement, params in query.get_compiler(using=using).as_sql():
                cursor.execute(statement, params)
            return cursor.rowcount == 1

    @classmethod
    def forget_old(cls, now: datetime) -> int:
        """Delete the claims older than `CLAIMS_KEPT` (of every owner, by the nightly purge); return how many.

        A day covers any double click or resent request; a post no longer deletes its owner's old claims itself
        (one query less on every form)."""
        return cls.objects.filter(claimed_at__lt=now - CLAIMS_KEPT).delete()[0]


class AddDaysUTC(Func):
    """`moment + days` (an integer column), computed in UTC so a generated column may store it.

    PostgreSQL only stores immutable expressions, and `timestamptz + interval` depends on the session's time zone;
    in UTC a day is always 24 hours, so shifting through `AT TIME ZONE 'UTC'` gives the same instant.
    """

    output_field = models.DateTimeField()

    def _parts(self, compiler: Any) -> tuple[str, str, list[Any]]:
        moment_sql, moment_params = compiler.compile(self.source_expressions[0])
        days_sql, days_params = compiler.compile(self.source_expressions[1])
        return moment_sql, days_sql, [*moment_params, *days_params]

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:
        moment, days, params = self._parts(compiler)
        return f"((({moment}) AT TIME ZONE 'UTC' + make_interval(days => {days})) AT TIME ZONE 'UTC')", params

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:
        moment, days, params = self._parts(compiler)
        # strftime's %f keeps the milliseconds (datetime() would drop them); '%%' survives Django's formatting.
        return f"strftime('%%Y-%%m-%%d %%H:%%M:%%f', {moment}, '+' || {days} || ' days')", params


class ClientQuerySet(models.QuerySet["Client"]):
    def for_owner(self, user: object) -> ClientQuerySet:
        return self.filter(owner=user)

    def search(self, text: str) -> ClientQuerySet:
        text = text.strip()
        if not text:
            return self
        return self.filter(Q(name__icontains=text) | Q(company__icontains=text))

    def status_update_listed(self, today: date, zone: zoneinfo.ZoneInfo) -> ClientQuerySet:
        """Return the clients whose status update is listed as due on `today` in `zone`: the SQL of
        `Client.status_update_listed` (`crm.core.queries.status_update_listed`)."""
        return self.filter(
            queries.status_update_listed(
                today, zone, Absence.objects.all(), Project.objects.filter(status=Project.Status.ACTIVE)
            )
        )

    def with_absences(self) -> ClientQuerySet:
        """Return the clients with their absences prefetched for `Client.away_spans`: one query for the whole
        list instead of one per client."""
        return self.prefetch_related(models.Prefetch("absences", queryset=Absence.objects.for_spans()))


class Client(models.Model):
    class Status(models.TextChoices):
        PROSPECT = "prospect", _("prospect")
        ACTIVE = "active", _("active")
        PAUSED = "paused", _("paused")
        FORMER = "former", _("former")

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="clients", verbose_name=_("owner")
    )
    name = models.CharField(_("name"), max_length=200)
    company = models.CharField(_("company"), max_length=200, blank=True)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    # The client's id in the spreadsheet or CRM it was imported from: importing the same file again matches it.
    external_id = models.CharField(_("external id"), max_length=100, blank=True, editable=False)
    language = models.CharField(_("language"), max_length=2, choices=Language, default=Language.FRENCH)
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.ACTIVE)
    cadence_days = models.PositiveSmallIntegerField(
        _("status-update cadence (days)"),
        default=7,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text=_("How often you agreed to send this client a status update."),
    )
    # Kept up to date by the relationship journal (crm) when interactions are logged, so the
    # dashboard and the reminders read them without scanning the timeline.
    last_status_update_at = models.DateTimeField(
        _("last status update"), null=True, blank=True, editable=False
    )
    last_contact_at = models.DateTimeField(_("last contact"), null=True, blank=True, editable=False)
    # Payment follow-up and the late-payment amounts the law allows (crm/payments/interest.py): the law depends on
    # who the client is and where; claiming is the freelancer's choice, client by client (many waive it).
    kind = models.CharField(_("client type"), max_length=10, choices=ClientKind, default=ClientKind.BUSINESS)
    country = CountryField(_("country"), default="FR")
    tone = models.CharField(_("tone of reminders"), max_length=10, choices=Tone, default=Tone.FORMAL)
    claim_late_payment = models.BooleanField(
        _("claim late-payment interest and compensation"),
        default=False,
        help_text=_("Shown on invoices and reminders when they are late. Many freelancers waive them."),
    )
    # The freelancer's reminder days (Profile) unless all three are set here.
    reminder_courteous_days = models.PositiveSmallIntegerField(
        _("courteous payment reminder, days after the due date"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text=_("Leave the three empty to use your settings."),
    )
    reminder_firm_days = models.PositiveSmallIntegerField(
        _("firmer payment reminder, days after the due date"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
    )
    reminder_notice_days = models.PositiveSmallIntegerField(
        _("formal notice, days after the due date"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
    )
    created_at = models.DateTimeField(
        _("created"), default=timezone.now, editable=False, validators=[validate_moment_in_window]
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    # A client of the sample book a new freelancer explored (crm/demo/sample.py, the onboarding's): removed
    # together in one click.
    sample = models.BooleanField(_("sample"), default=False, editable=False)
    # When the next status update is due, kept by the database itself so the dashboard can find the due ones
    # through an index instead of computing it for every client of the book: the database's copy of
    # `crm.core.rules.status_update_due_at` (tests/models/test_generated_columns.py checks they agree).
    status_update_due_at = models.GeneratedField(
        expression=AddDaysUTC(Coalesce("last_status_update_at", "created_at"), "cadence_days"),
        output_field=models.DateTimeField(),
        db_persist=True,
        verbose_name=_("next status update due"),
    )

    # The instant from which the status update is listed as due (`crm.core.rules.status_update_listed_at`, in
    # the freelancer's time zone), None while the client is not active: written by the journal's door
    # (`crm.trust.door`) whenever the last status update, the cadence, the absence or the status moves, and by
    # `crm.payments.due` when the freelancer's time zone does. The nudges read only the clients listed
    # (`status_update_listed_at <= now`) instead of the whole book.
    status_update_listed_at = models.DateTimeField(
        _("status update listed from"), null=True, blank=True, editable=False
    )

    # Who changed what and when (shown on the client's edit page). The clocks kept by the journal and the
    # generated due date are derived, not changed by anyone: they stay out of it.
    history = BookHistory(
        excluded_fields=[
            "last_status_update_at",
            "last_contact_at",
            "status_update_due_at",
            "status_update_listed_at",
            "updated_at",
            "sample",
        ]
    )

    objects = ClientQuerySet.as_manager()

    class Meta:
        verbose_name = _("client")
        verbose_name_plural = _("clients")
        ordering = ["name"]
        constraints = [
            CheckConstraint(
                condition=Q(cadence_days__gte=1, cadence_days__lte=365), name="client_cadence_1_365_days"
            ),
            CheckConstraint(
                condition=Q(status__in=["prospect", "active", "paused", "former"]), name="client_status_valid"
            ),
            # Every date within the book's window (crm/core/dates.py): no "date plus cadence" can overflow.
            window_constraint("client", "created_at", moment=True),
            window_constraint("client", "updated_at", moment=True),
            window_constraint("client", "last_status_update_at", moment=True, nullable=True),
            window_constraint("client", "last_contact_at", moment=True, nullable=True),
            CheckConstraint(condition=Q(kind__in=["business", "consumer"]), name="client_kind_valid"),
            # The client's own reminder days: all three or none (checked by forms too, with these messages) ...
            CheckConstraint(
                condition=Q(
                    reminder_courteous_days__isnull=True,
                    reminder_firm_days__isnull=True,
                    reminder_notice_days__isnull=True,
                )
                | Q(
                    reminder_courteous_days__isnull=False,
                    reminder_firm_days__isnull=False,
                    reminder_notice_days__isnull=False,
                ),
                name="client_reminder_days_all_or_none",
                violation_error_message=_(
                    "Set the three reminder days, or leave the three empty to use your settings."
                ),
            ),
            # ... and one after the other.
            CheckConstraint(
                condition=Q(reminder_courteous_days__isnull=True)
                | Q(reminder_firm_days__isnull=True)
                | Q(reminder_notice_days__isnull=True)
                | Q(
                    reminder_courteous_days__gte=1,
                    reminder_firm_days__gt=F("reminder_courteous_days"),
                    reminder_notice_days__gt=F("reminder_firm_days"),
                    reminder_notice_days__lte=365,
                ),
                name="client_reminder_days_in_order",
                violation_error_message=REMINDERS_IN_ORDER,
            ),
        ]
        indexes = [
            # The client list and search: WHERE owner_id = ? ORDER BY name.
            models.Index(fields=["owner", "name"], name="client_owner_name_idx"),
            # The import's duplicate rule: WHERE owner_id = ? AND external_id IN (...).
            models.Index(fields=["owner", "external_id"], name="client_owner_external_id_idx"),
            # Dashboard filter by status.
            models.Index(fields=["owner", "status"], name="client_owner_status_idx"),
            # Dashboard and digest: the active clients whose status update is due, soonest first.
            models.Index(fields=["owner", "status", "status_update_due_at"], name="client_update_due_idx"),
            # The nudges: WHERE owner_id IN (...) AND status_update_listed_at <= now.
            models.Index(fields=["owner", "status_update_listed_at"], name="client_update_listed_idx"),
            # The dashboard's first-run check: whether the book has clients, sample ones first (from the index).
            models.Index(fields=["owner", "sample"], name="client_owner_sample_idx"),
        ]

    # What __str__ reads: a select of clients reads no more (BookChoiceField).
    label_fields = ("name", "company")

    def __str__(self) -> str:
        return f"{self.name} ({self.company})" if self.company else self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        new_without_address = self._state.adding and not (self.email or self.phone)
        super().save(*args, **kwargs)
        update_fields = kwargs.get("update_fields")
        # Saves of the journal's clocks (update_fields without them), new clients without an address and edits
        # that leave the address as it was read (a name, a language: the primary contact holds it already) have
        # no primary contact to write: no query spent.
        address_as_read = getattr(self, "_address_as_read", None) == (self.email, self.phone)
        if (
            not new_without_address
            and not address_as_read
            and (update_fields is None or {"email", "phone"} & set(update_fields))
        ):
            self.primary_contact_follows()
        self._address_as_read = (self.email, self.phone)
        stored = getattr(self, "_stored_status", None)
        if self.status != stored and (update_fields is None or "status" in update_fields):
            if Client.Status.PAUSED in (stored, self.status):
                self.pause_follows(timezone.localdate())
            self._stored_status = self.status

    @classmethod
    def from_db(cls, db: Any, field_names: Any, values: Any) -> Client:
        client = super().from_db(db, field_names, values)
        if "email" in field_names and "phone" in field_names:
            client._address_as_read = (client.email, client.phone)  # see save()
        client._stored_status = client.__dict__.get("status")
        return client

    def pause_follows(self, today: date) -> None:
        """Write the paused status to the client's pauses, the history the trust formula replays: paused, a pause
        opens today (unless one is open); no longer paused, the open pauses end yesterday (one begun today goes)."""
        open_pauses = Absence.objects.filter(
            client_id=self.pk, project__isnull=True, kind=Absence.Kind.PAUSED, end_on__isnull=True
        )
        if self.status == Client.Status.PAUSED:
            if not open_pauses.exists():
                Absence.objects.create(client=self, kind=Absence.Kind.PAUSED, start_on=today)
            return
        open_pauses.filter(start_on__gte=today).delete()
        open_pauses.update(end_on=today - timedelta(days=1))

    @classmethod
    def new_for(cls, owner: Any, **fields: Any) -> Client:
        """Return an unsaved client of `owner` speaking the freelancer's language, in the country of their business
        address, else the language's own country (an English freelancer's new client is not French by default)."""
        profile = owner.profile
        country = profile.country.code if profile.country else LANGUAGE_COUNTRY.get(profile.language, "FR")
        return cls(owner=owner, **{"language": profile.language, "country": country, **fields})

    def primary_contact_follows(self) -> None:
        """Write the client's email and phone to its primary contact (created, named after the client, when the
        client has an address and no primary contact yet)."""
        primary = self.contacts.filter(is_primary=True).first()
        if primary is None:
            if self.email or self.phone:
                Contact.objects.create(
                    client=self, name=self.name, email=self.email, phone=self.phone, is_primary=True
                )
        elif (primary.email, primary.phone) != (self.email, self.phone):
            primary.email, primary.phone = self.email, self.phone
            primary.save(update_fields=["email", "phone", "updated_at"])

    def copy_primary_contact(self, primary: Contact | None) -> None:
        """Copy the primary contact's email and phone onto the client (cleared when it has none)."""
        email, phone = (primary.email, primary.phone) if primary is not None else ("", "")
        # Compared in the database, not in memory: this instance may have been loaded before another change.
        Client.objects.filter(pk=self.pk).exclude(email=email, phone=phone).update(email=email, phone=phone)
        self.email, self.phone = email, phone

    def away_spans(self) -> rules.Spans:
        """Return the days the client is away (`crm.core.rules.away_spans`): its absences and the days every active
        project is paused. One query, or none after `ClientQuerySet.with_absences`."""
        if "absences" in getattr(self, "_prefetched_objects_cache", {}):
            absences = list(self.absences.all())
        else:
            absences = list(Absence.objects.filter(client_id=self.pk).for_spans())
        return Client.spans_of(absences)

    def set_absences(self, absences: list[Absence]) -> None:
        """Give the client its absences read with other clients' (as `AbsenceQuerySet.for_spans` reads them), as
        a prefetch would: `away_spans` and `absences.all()` then read no more."""
        absences_read = self.absences.all()
        absences_read._result_cache, absences_read._prefetch_done = absences, True  # what prefetching sets
        self._prefetched_objects_cache = {
            **getattr(self, "_prefetched_objects_cache", {}),
            "absences": absences_read,
        }

    def forget_absences(self) -> None:
        """Drop the absences read with the client (`set_absences` or a prefetch): `away_spans` reads them again."""
        getattr(self, "_prefetched_objects_cache", {}).pop("absences", None)

    @staticmethod
    def spans_of(absences: list[Absence]) -> rules.Spans:
        """Return the away days of one client from its absences as `AbsenceQuerySet.for_spans` reads them."""
        own = [absence.period for absence in absences if absence.project_id is None]
        pauses: dict[int, list[rules.Period]] = {}
        for absence in absences:
            if absence.project_id is not None and absence.project_active:
                pauses.setdefault(absence.project_id, []).append(absence.period)
        # Every active project paused on some days; else an active project never paused, and the pauses count not.
        every_one = bool(pauses) and len(pauses) == absences[0].active_projects
        return rules.away_spans(own, pauses.values() if every_one else ())

    def status_update_due_on(self, zone: zoneinfo.ZoneInfo | None = None) -> date:
        """Return the local day the next status update is due (`crm.core.rules.status_update_due_on`)."""
        since = self.last_status_update_at or self.created_at
        return rules.status_update_due_on(
            timezone.localtime(since, zone).date(), self.cadence_days, self.away_spans()
        )

    def reminder_days(self, profile: Profile) -> tuple[int, int, int]:
        """Return the days after the due date of the courteous, firm and formal-notice reminders."""
        if self.reminder_courteous_days and self.reminder_firm_days and self.reminder_notice_days:
            return (self.reminder_courteous_days, self.reminder_firm_days, self.reminder_notice_days)
        return profile.reminder_days

    def is_away(self, today: date) -> bool:
        """Return True while the client is paused or away (`crm.core.rules.is_away`: no status update is due)."""
        return rules.is_away(today, paused=self.status == self.Status.PAUSED, spans=self.away_spans())

    def status_update_listed(self, today: date, zone: zoneinfo.ZoneInfo | None = None) -> bool:
        """Return True when the status update is listed as due on `today` (`crm.core.rules.status_update_listed`:
        the dashboard and the digest list the same clients)."""
        return self.listed_status_update_due_on(today, zone) is not None

    def may_list_status_update(self, today: date, zone: zoneinfo.ZoneInfo | None = None) -> bool:
        """Return False when the status update is not listed on `today` whatever the client's absences: they only
        move the due day later, so a client not due within the coming days without them is not listed with them
        either (its absences need not be read)."""
        if self.status != self.Status.ACTIVE:
            return False
        since = timezone.localtime(self.last_status_update_at or self.created_at, zone).date()
        return rules.status_update_due_on(since, self.cadence_days) <= add_days(
            today, rules.STATUS_UPDATE_COMING_DAYS
        )

    def listed_status_update_due_on(self, today: date, zone: zoneinfo.ZoneInfo | None = None) -> date | None:
        """Return the day the status update is due when it is listed on `today` (`status_update_listed`), else None.

        The absences are read only when they may matter (`may_list_status_update`)."""
        if not self.may_list_status_update(today, zone):
            return None
        since = timezone.localtime(self.last_status_update_at or self.created_at, zone).date()
        spans = self.away_spans()
        due_on = rules.status_update_due_on(since, self.cadence_days, spans)
        return due_on if rules.status_update_listed(due_on, today, active=True, spans=spans) else None

    def current_absence(self, today: date) -> Absence | None:
        """Return the client's own absence holding `today` (the latest begun), or None."""
        holding = [a for a in self.absences.all() if a.project_id is None and a.holds(today)]
        return max(holding, key=lambda a: (a.start_on, a.pk), default=None)

    def status_update_days_late(self, today: date, zone: zoneinfo.ZoneInfo | None = None) -> int:
        """Return how many days the status update is overdue (negative: days left)."""
        return rules.status_update_days_late(self.status_update_due_on(zone), today)


class Project(LoadedRelationsChecked, models.Model):
    class Status(models.TextChoices):
        PROPOSED = "proposed", _("proposed")
        ACTIVE = "active", _("active")
        DELIVERED = "delivered", _("delivered")
        CANCELLED = "cancelled", _("cancelled")

    client = models.ForeignKey(
        Client, on_delete=models.CASCADE, related_name="projects", verbose_name=_("client")
    )
    title = models.CharField(_("title"), max_length=200)
    goals = models.TextField(_("goals"), blank=True, help_text=_("Restated in every status update."))
    # The agreed scope: the goals above, what is delivered, the budget and the due date. Its changes are logged
    # in crm.models.ScopeChange; an accepted one moves the budget and the due date.
    deliverables = models.TextField(
        _("deliverables"), blank=True, help_text=_("What you agreed to deliver, one item per line.")
    )
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.ACTIVE)
    start_on = models.DateField(_("start date"), null=True, blank=True, validators=[validate_day_in_window])
    due_on = models.DateField(_("due date"), null=True, blank=True, validators=[validate_day_in_window])
    budget = models.DecimalField(
        _("budget"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(0))],
    )
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    history = BookHistory()

    class Meta:
        verbose_name = _("project")
        verbose_name_plural = _("projects")
        ordering = ["-created_at"]
        constraints = [
            CheckConstraint(
                condition=Q(due_on__isnull=True) | Q(start_on__isnull=True) | Q(due_on__gte=F("start_on")),
                name="project_due_not_before_start",
            ),
            CheckConstraint(
                condition=Q(budget__isnull=True) | Q(budget__gte=0), name="project_budget_not_negative"
            ),
            CheckConstraint(
                condition=Q(status__in=["proposed", "active", "delivered", "cancelled"]),
                name="project_status_valid",
            ),
            window_constraint("project", "start_on", nullable=True),
            window_constraint("project", "due_on", nullable=True),
            window_constraint("project", "created_at", moment=True),
        ]
        indexes = [models.Index(fields=["client", "status"], name="project_client_status_idx")]

    label_fields = ("title",)  # what __str__ reads (BookChoiceField)

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        if self.start_on and self.due_on and self.due_on < self.start_on:
            raise ValidationError({"due_on": _("The due date cannot be before the start date.")})
        if self.currency and not (len(self.currency) == 3 and self.currency.isalpha()):
            raise ValidationError({"currency": _("Use a three-letter currency code, such as EUR.")})
        self.currency = (self.currency or "").upper()

    def pause(self, today: date) -> None:
        """Pause the project from `today` on, until it resumes (nothing when a pause already holds today)."""
        holding = self.pauses.filter(start_on__lte=today).filter(
            Q(end_on__isnull=True) | Q(end_on__gte=today)
        )
        if not holding.exists():
            Absence.objects.create(
                client_id=self.client_id, project=self, kind=Absence.Kind.PAUSED, start_on=today
            )

    def resume(self, today: date) -> None:
        """Resume the project today: the pauses holding today end yesterday (one begun today is dropped)."""
        holding = self.pauses.filter(start_on__lte=today).filter(
            Q(end_on__isnull=True) | Q(end_on__gte=today)
        )
        holding.filter(start_on=today).delete()
        holding.update(end_on=today - timedelta(days=1))


class OwnedThroughClientQuerySet(models.QuerySet):
    """For rows that store their client's owner: bulk inserts copy it from the client too."""

    def bulk_create(self, objs: Any, *args: Any, **kwargs: Any) -> list[Any]:
        objs = list(objs)
        for obj in objs:
            obj.owner_id = obj.client.owner_id
        return super().bulk_create(objs, *args, **kwargs)


class OwnedThroughClient(LoadedRelationsChecked, models.Model):
    """A journal row that stores its client's owner, so a freelancer's open items are found through an index
    on (owner, ...) instead of through every client of the book."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", editable=False
    )

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        update_fields = kwargs.get("update_fields")
        if update_fields is None or {"client", "client_id"} & set(update_fields):
            self.owner_id = self.client.owner_id
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "owner"}
        # Else the owner column is not written (a one-click action's state, an undo): its client is not read.
        super().save(*args, **kwargs)

    def clean_fields(self, exclude: Any = None) -> None:
        # The owner is the client's, copied when saved: nothing to validate (and no query to spend) on its own.
        super().clean_fields(exclude={*(exclude or ()), "owner"})


MAX_OTHER_EMAILS = 10


def split_emails(text: str) -> list[str]:
    """Return the addresses of a text holding one per line (commas and semicolons separate them too)."""
    for separator in (",", ";"):
        text = text.replace(separator, "\n")
    return [line.strip() for line in text.splitlines() if line.strip()]


def validate_other_emails(text: str) -> None:
    addresses = split_emails(text)
    if len(addresses) > MAX_OTHER_EMAILS:
        raise ValidationError(
            _("At most %(limit)d other addresses per contact."), params={"limit": MAX_OTHER_EMAILS}
        )
    for address in addresses:
        try:
            validate_email(address)
        except ValidationError:
            raise ValidationError(
                _("“%(value)s” is not an email address."), params={"value": address[:60]}
            ) from None
    lowered = [address.lower() for address in addresses]
    if len(set(lowered)) < len(lowered):
        raise ValidationError(_("An address is written twice."))


class ContactQuerySet(OwnedThroughClientQuerySet):
    def for_owner(self, user: object) -> ContactQuerySet:
        return self.filter(owner=user)

    def addresses_for(self, owner: object) -> dict[str, Contact]:
        """Return the owner's known email addresses, lower-cased, each with its contact (and the contact's client).

        An address two contacts share goes to the primary one, then to the oldest: mail from it is filed there.
        """
        addresses: dict[str, Contact] = {}
        contacts = (
            self.filter(owner=owner)
            .exclude(email="", other_emails="")
            .select_related("client")
            .order_by("-is_primary", "created_at", "pk")
        )
        for contact in contacts:
            for address in contact.emails():
                addresses.setdefault(address.lower(), contact)
        return addresses


class Contact(OwnedThroughClient):
    """A person at a client: the product owner, accounting. One contact per client is the primary one.

    The primary contact is where the client's email and phone live: `Client.email` and `Client.phone` are a
    copy of the primary contact's, written by `Contact.save` (and the client form's email and phone write the
    primary contact back through `Client.save`), so the pages, the reminders and the search that read a client's
    address keep reading one row.
    """

    client = models.ForeignKey(
        Client, on_delete=models.CASCADE, related_name="contacts", verbose_name=_("client")
    )
    name = models.CharField(_("name"), max_length=200)
    email = models.EmailField(_("email"), blank=True)
    # A person writes from more than one address (work, personal, an old one): mail from any of them is theirs.
    other_emails = models.TextField(
        _("other emails"),
        blank=True,
        validators=[validate_other_emails],
        help_text=_("One address per line: mail from or to them is this contact's too."),
    )
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    role = models.CharField(_("role"), max_length=120, blank=True, help_text=_("Accounting, product owner…"))
    is_primary = models.BooleanField(_("primary contact"), default=False)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(
        _("created"), default=timezone.now, editable=False, validators=[validate_moment_in_window]
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    history = BookHistory(excluded_fields=["updated_at"])

    objects = ContactQuerySet.as_manager()

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["-is_primary", "name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["client"], condition=Q(is_primary=True), name="contact_one_primary_per_client"
            ),
            window_constraint("contact", "created_at", moment=True),
            window_constraint("contact", "updated_at", moment=True),
        ]
        indexes = [
            # Mail capture and the import's duplicate rule: WHERE owner_id = ? AND email = ?.
            models.Index(fields=["owner", "email"], name="contact_owner_email_idx"),
        ]

    label_fields = ("name", "role")  # what __str__ reads (BookChoiceField)

    def __str__(self) -> str:
        return f"{self.name} ({self.role})" if self.role else self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        super().save(*args, **kwargs)
        if self.is_primary:
            self.client.copy_primary_contact(self)
        elif getattr(self, "_stored_primary", False):  # no longer the primary one: the client has none
            self.client.copy_primary_contact(None)
        self._stored_primary = self.is_primary

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        was_primary, client = self.is_primary, self.client
        deleted = super().delete(*args, **kwargs)
        if was_primary:
            client.copy_primary_contact(None)
        return deleted

    def emails(self) -> list[str]:
        """Return every address of the contact: the main one first, then the others."""
        return [address for address in [self.email, *split_emails(self.other_emails)] if address]

    @classmethod
    def from_db(cls, db: Any, field_names: Any, values: Any) -> Contact:
        contact = super().from_db(db, field_names, values)
        contact._stored_primary = contact.__dict__.get("is_primary", False)
        return contact

    def make_primary(self) -> None:
        """Make this contact the client's primary one (the previous one stays, as a plain contact)."""
        with transaction.atomic():
            previous = Contact.objects.filter(client_id=self.client_id, is_primary=True)
            if self.pk is not None:
                previous = previous.exclude(pk=self.pk)
            for contact in previous:
                contact.is_primary = False
                contact.save(update_fields=["is_primary", "updated_at"])
            self.is_primary = True
            self.save()


class AbsenceQuerySet(OwnedThroughClientQuerySet):
    def for_owner(self, user: object) -> AbsenceQuerySet:
        return self.filter(owner=user)

    def for_spans(self) -> AbsenceQuerySet:
        """Return the absences with what `Client.away_spans` needs besides them, read in the same query: whether
        a paused project is active, and how many active projects the client has (every one paused or not)."""
        active = Project.objects.filter(client=OuterRef("client_id"), status=Project.Status.ACTIVE)
        return self.order_by().annotate(
            project_active=ExpressionWrapper(
                Q(project__status=Project.Status.ACTIVE), output_field=models.BooleanField()
            ),
            active_projects=Coalesce(
                Subquery(active.order_by().values("client").annotate(n=Count("pk")).values("n")), 0
            ),
        )


class Absence(OwnedThroughClient):
    """A dated period when the client is away (holidays, illness) or its work is paused by the client: no status
    update falls due and no silence is counted during it (`crm.core.rules.away_spans`), today or when the book is
    recomputed later. With a project, only that project is paused: the client is away on the days when every one
    of its active projects is paused.
    """

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("holiday")
        ILLNESS = "illness", _("illness")
        PAUSED = "paused", _("paused by the client")

    client = models.ForeignKey(
        Client, on_delete=models.CASCADE, related_name="absences", verbose_name=_("client")
    )
    project = models.ForeignKey(
        Project,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="pauses",
        verbose_name=_("project"),
        help_text=_("Only this project is paused; leave empty for the whole client."),
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind, default=Kind.HOLIDAY)
    start_on = models.DateField(_("first day"), validators=[validate_day_in_window])
    end_on = models.DateField(
        _("last day"),
        null=True,
        blank=True,
        validators=[validate_day_in_window],
        help_text=_("Included. Leave empty while it lasts."),
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_at = models.DateTimeField(
        _("created"), default=timezone.now, editable=False, validators=[validate_moment_in_window]
    )

    history = BookHistory()

    objects = AbsenceQuerySet.as_manager()

    class Meta:
        verbose_name = _("absence")
        verbose_name_plural = _("absences")
        ordering = ["-start_on", "-pk"]
        constraints = [
            CheckConstraint(
                condition=Q(end_on__isnull=True) | Q(end_on__gte=F("start_on")),
                name="absence_ends_after_it_starts",
                violation_error_message=_("The last day cannot be before the first day."),
            ),
            CheckConstraint(
                condition=Q(kind__in=["holiday", "illness", "paused"]), name="absence_kind_valid"
            ),
            # A project is paused, it does not take holidays.
            CheckConstraint(
                condition=Q(project__isnull=True) | Q(kind="paused"), name="absence_project_only_paused"
            ),
            window_constraint("absence", "start_on"),
            window_constraint("absence", "end_on", nullable=True),
            window_constraint("absence", "created_at", moment=True),
        ]
        indexes = [
            # The status-update list's "away today" (crm.core.queries.away_on): WHERE client_id = ? AND
            # start_on <= ?; the trust loader's client_id IN (...).
            models.Index(fields=["client", "start_on"], name="absence_client_start_idx"),
            # The same for a project's pauses: WHERE project_id = ? AND start_on <= ?.
            models.Index(fields=["project", "start_on"], name="absence_project_start_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.start_on}–{self.end_on or '…'}"

    def clean(self) -> None:
        if self.end_on is not None and self.start_on is not None and self.end_on < self.start_on:
            raise ValidationError({"end_on": _("The last day cannot be before the first day.")})
        if self.project_id is not None:
            if self.project.client_id != self.client_id:
                raise ValidationError({"project": _("Choose one of this client's projects.")})
            if self.kind != self.Kind.PAUSED:
                raise ValidationError(
                    {"kind": _("A project does not take holidays: it is paused by the client.")}
                )

    @property
    def period(self) -> rules.Period:
        return (self.start_on, self.end_on)

    def holds(self, day: date) -> bool:
        """Return True when `day` is one of the absence's days."""
        return self.start_on <= day and (self.end_on is None or day <= self.end_on)

    def end(self, day: date) -> None:
        """End the absence on `day` (its last day), or on its first day when `day` comes before it."""
        self.end_on = max(day, self.start_on)
        self.save(update_fields=["end_on"])


def hash_token(raw: str) -> str:
    """Return the stored form of an access token: its SHA-256. A token is 256 random bits, so a fast hash is
    enough (nothing to brute-force, unlike a password) and a lookup is one indexed equality."""
    return hashlib.sha256(raw.encode()).hexdigest()


class AccessTokenQuerySet(models.QuerySet["AccessToken"]):
    def for_owner(self, user: object) -> AccessTokenQuerySet:
        return self.filter(owner=user)

    def active(self) -> AccessTokenQuerySet:
        return self.filter(revoked_at__isnull=True)


class AccessToken(models.Model):
    """A personal access token to the REST API (crm/api): named, read or read-write, stored hashed.

    The raw token is shown once, when issued (`issue`); only its hash and its first characters (to recognise it
    in the list) are kept. A revoked token stays listed, refused.
    """

    class Scope(models.TextChoices):
        READ = "read", _("read only")
        WRITE = "write", _("read and write")

    PREFIX = "cfc_"
    # How often the last-used time is written: once a minute is precise enough and spares a write per request.
    LAST_USED_PRECISION = timedelta(minutes=1)

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="access_tokens", editable=False
    )
    name = models.CharField(
        _("name"), max_length=100, help_text=_("What uses it, such as “invoicing script”.")
    )
    scope = models.CharField(_("scope"), max_length=5, choices=Scope, default=Scope.READ)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    key_start = models.CharField(max_length=12, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True, editable=False)

    objects = AccessTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("API access token")
        verbose_name_plural = _("API access tokens")
        ordering = ["-created_at", "-pk"]
        constraints = [
            CheckConstraint(condition=Q(scope__in=["read", "write"]), name="access_token_scope_valid"),
        ]
        indexes = [
            # The settings page: WHERE owner_id = ? ORDER BY created_at DESC.
            models.Index(fields=["owner", "created_at"], name="access_token_owner_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.key_start}…)"

    @classmethod
    def issue(cls, owner: Any, name: str, scope: str) -> tuple[AccessToken, str]:
        """Create a token for `owner`; return it with the raw token, which is never stored nor shown again."""
        raw = cls.PREFIX + secrets.token_urlsafe(32)
        token = cls(owner=owner, name=name, scope=scope, key_hash=hash_token(raw), key_start=raw[:12])
        token.full_clean()
        token.save()
        return token, raw

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    @property
    def can_write(self) -> bool:
        return self.scope == self.Scope.WRITE

    def revoke(self, now: datetime | None = None) -> None:
        if self.revoked_at is None:
            self.revoked_at = now or timezone.now()
            self.save(update_fields=["revoked_at"])

    def touch(self, now: datetime) -> None:
        """Record a use, at most once per `LAST_USED_PRECISION` (one UPDATE, none within the minute)."""
        if self.last_used_at is None or now - self.last_used_at >= self.LAST_USED_PRECISION:
            self.last_used_at = now
            AccessToken.objects.filter(pk=self.pk).update(last_used_at=now)


@functools.cache
def _book_changed_sql(alias: str) -> str:
    """Return `Profile.book_changed`'s UPDATE of one book, as the ORM writes it for this database."""
    quote = connections[alias].ops.quote_name
    version = quote(Profile._meta.get_field("book_version").column)
    return (
        f"UPDATE {quote(Profile._meta.db_table)} SET {version} = ({version} + 1),"
        f" {quote(Profile._meta.get_field('book_changed_clients').column)} = %s"
        f" WHERE {quote(Profile._meta.get_field('user').column)} = %s"
    )

"""Deleting an account: the freelancer's whole book goes with it, in one transaction, fast whatever its size.

Django's own cascade loads every row of the book into memory and sends `post_delete` for each one (a
history row written by django-simple-history for each deleted
row): minutes and hundreds of thousands of objects for a large book. Here each table that hangs off the account
or off its clients is emptied with one DELETE instead. The tables are found from the models' foreign keys, so a
table added later (in any app) goes too without this module knowing it. The account itself is then deleted the
ordinary way, with nothing left to cascade but what Django itself keeps (groups, permissions, admin log).

Foreign keys are checked at commit (Django creates them deferred on SQLite and PostgreSQL), so the order of the
DELETEs only matters for the subqueries: the clients' dependants go first, while the clients are still there.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from axes.models import AccessFailureLog, AccessLog
from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import models, transaction
from django.db.models import Q

from clients.models import Client


def _is_history(model: type[models.Model]) -> bool:
    # django-simple-history's copies point at the originals without a constraint (DO_NOTHING): they are the
    # book's too (they hold client data) and go with it.
    return hasattr(model, "instance_type")


def _owned_through(target: type[models.Model]) -> Iterator[tuple[type[models.Model], str]]:
    """Yield (model, foreign key attname) for every table whose rows go when a `target` row goes."""
    for model in apps.get_models():
        if model._meta.proxy or not model._meta.managed:
            continue
        for field in model._meta.concrete_fields:
            if not (field.many_to_one or field.one_to_one) or field.related_model is not target:
                continue
            if field.remote_field.on_delete is models.CASCADE or (
                _is_history(model) and field.remote_field.on_delete is models.DO_NOTHING
            ):
                yield model, field.attname


def _raw_delete(model: type[models.Model], condition: Q) -> int:
    """Delete the rows of `model` matching `condition` with one DELETE: no objects, no signals."""
    rows = model._base_manager.filter(condition)
    return rows._raw_delete(rows.db)  # public `delete()` would collect and signal every row


def forget_logins(username: str) -> None:
    """Delete axes' logs of an account's logins and failed logins (clients/throttle.py), one DELETE each; its
    current failure counts (AccessAttempt) expire with their window."""
    for model in (AccessFailureLog, AccessLog):
        _raw_delete(model, Q(username__in={username, username.strip().lower()}))


def delete_account(user: Any) -> None:
    """Delete `user` and everything of their book (clients, journal, trust health, history) in one transaction."""
    User = get_user_model()
    # Every client the account ever had: the live ones, and those deleted earlier whose history stayed.
    live = Client._base_manager.filter(owner_id=user.pk).values("pk")
    past = Client.history.model._base_manager.filter(owner_id=user.pk).values("id")
    with transaction.atomic():
        for model, attname in _owned_through(Client):
            _raw_delete(model, Q(**{f"{attname}__in": live}) | Q(**{f"{attname}__in": past}))
        through_user = [(model, attname) for model, attname in _owned_through(User) if model is not User]
        emptied = {model for model, _ in through_user} | {model for model, _ in _owned_through(Client)}
        for model, attname in through_user:
            # Rows of the account's rows that the account's own tables do not reach (a recovery code of the
            # account's two-factor device): first, while their parent rows are still there.
            for child, child_attname in _owned_through(model):
                if child not in emptied and child is not model:
                    parents = model._base_manager.filter(**{attname: user.pk}).values("pk")
                    _raw_delete(child, Q(**{f"{child_attname}__in": parents}))
                    emptied.add(child)
        for model, attname in through_user:
            _raw_delete(model, Q(**{attname: user.pk}))
        # The login logs name the account (and the addresses it logged in from): they go with it.
        forget_logins(user.get_username())
        user.delete()

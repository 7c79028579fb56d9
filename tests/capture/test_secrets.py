"""Mailbox passwords at rest: encrypted, never drawn again, and the keys rotated without losing one."""

from __future__ import annotations

from typing import Any

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command

from crm.capture.secrets import InvalidToken, decrypt, encrypt
from crm.models import Mailbox


def _mailbox(owner: Any, password: str) -> Mailbox:
    return Mailbox.objects.create(
        owner=owner,
        imap_host="imap.example.com",
        imap_user="alice",
        imap_secret=encrypt(password),
        address="a@x.fr",
    )


def test_a_password_is_stored_encrypted_and_read_back(alice) -> None:
    box = _mailbox(alice, "s3cret-app-password")
    stored = Mailbox.objects.values_list("imap_secret", flat=True).get(pk=box.pk)
    assert "s3cret" not in stored
    assert decrypt(stored) == "s3cret-app-password"


def test_rotation_reencrypts_every_password_with_the_new_key(alice, bob, settings) -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.MAILBOX_KEYS = [old]
    boxes = [_mailbox(alice, "alice-pw"), _mailbox(bob, "bob-pw")]

    settings.MAILBOX_KEYS = [new, old]  # step 1: the new key first, the old one still opens
    call_command("rotate_mailbox_keys")

    settings.MAILBOX_KEYS = [new]  # step 3: the old key dropped
    assert [decrypt(Mailbox.objects.get(pk=box.pk).imap_secret) for box in boxes] == ["alice-pw", "bob-pw"]
    settings.MAILBOX_KEYS = [old]
    with pytest.raises(InvalidToken):
        decrypt(Mailbox.objects.get(pk=boxes[0].pk).imap_secret)


def test_rotation_names_the_mailboxes_no_key_opens_without_printing_secrets(alice, settings) -> None:
    settings.MAILBOX_KEYS = [Fernet.generate_key().decode()]
    box = _mailbox(alice, "pw")
    settings.MAILBOX_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(CommandError) as error:
        call_command("rotate_mailbox_keys")
    assert f"ids [{box.pk}]" in str(error.value)
    assert box.imap_secret not in str(error.value)


def test_production_never_uses_the_development_key(settings) -> None:
    settings.MAILBOX_KEYS = []
    settings.PRODUCTION = True
    with pytest.raises(ImproperlyConfigured):
        encrypt("x")

"""The freelancer's business identity, as a client sees it: the rules of its numbers and of its logo.

Plain functions, written once and used by the model's validators, the forms and the exports:

- a SIREN is 9 digits whose Luhn checksum holds; a SIRET is 14 digits, Luhn, starting with a valid SIREN (La Poste's
  establishments, SIREN 356 000 000, follow their own rule: the sum of their 14 digits is a multiple of 5);
- an EU VAT number is a known country prefix, then that country's pattern; a French one is `FR`, a two-digit key
  and the SIREN, the key being `(12 + 3 × (SIREN mod 97)) mod 97`;
- a logo is PNG, JPEG or WebP (never SVG, which can carry scripts), at most `LOGO_MAX_BYTES`, checked by decoding
  it with Pillow (not by its name or declared type) and stored re-encoded, so nothing but pixels is kept.
"""

from __future__ import annotations

import io
import re

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


class LegalForm(models.TextChoices):
    SOLE_TRADER = "ei", _("sole trader (entrepreneur individuel, micro-entrepreneur)")
    EURL = "eurl", _("EURL")
    SASU = "sasu", _("SASU")
    SARL = "sarl", _("SARL")
    SAS = "sas", _("SAS")
    OTHER = "other", _("other")


def compact(value: str) -> str:
    """Return `value` without spaces, dots and dashes, upper-cased: how people type numbers, how they are kept."""
    return re.sub(r"[\s.\-]", "", value or "").upper()


def luhn_valid(digits: str) -> bool:
    """Return whether a string of digits passes the Luhn checksum (every second digit from the right doubled)."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        n = int(char)
        if position % 2:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return total % 10 == 0


LA_POSTE_SIREN = "356000000"


def is_siren(value: str) -> bool:
    return len(value) == 9 and value.isascii() and value.isdigit() and luhn_valid(value)


def is_siret(value: str) -> bool:
    if not (len(value) == 14 and value.isascii() and value.isdigit()):
        return False
    if value.startswith(LA_POSTE_SIREN):
        # La Poste's establishments share one SIREN; their SIRETs are checked by the sum of the digits.
        return sum(int(char) for char in value) % 5 == 0
    return is_siren(value[:9]) and luhn_valid(value)


def validate_registration_number(value: str) -> None:
    """Refuse anything but a SIREN (9 digits) or a SIRET (14 digits) whose checksums hold."""
    number = compact(value)
    if not number.isdigit() or len(number) not in (9, 14):
        raise ValidationError(
            _("Enter a SIREN (9 digits) or a SIRET (14 digits)."), code="registration_number_format"
        )
    if len(number) == 9 and not is_siren(number):
        raise ValidationError(
            _(
                "This SIREN is not valid: its check digit does not match. Check it on your Kbis or INSEE notice."
            ),
            code="siren_checksum",
        )
    if len(number) == 14 and not is_siret(number):
        raise ValidationError(
            _(
                "This SIRET is not valid: its check digits do not match. Check it on your Kbis or INSEE notice."
            ),
            code="siret_checksum",
        )


# The EU's VAT numbers (VIES): each country's prefix and the pattern of what follows it. Greece is "EL".
VAT_PATTERNS: dict[str, str] = {
    "AT": r"U\d{8}",
    "BE": r"[01]\d{9}",
    "BG": r"\d{9,10}",
    "CY": r"\d{8}[A-Z]",
    "CZ": r"\d{8,10}",
    "DE": r"\d{9}",
    "DK": r"\d{8}",
    "EE": r"\d{9}",
    "EL": r"\d{9}",
    "ES": r"[A-Z0-9]\d{7}[A-Z0-9]",
    "FI": r"\d{8}",
    "FR": r"[A-HJ-NP-Z0-9]{2}\d{9}",
    "HR": r"\d{11}",
    "HU": r"\d{8}",
    "IE": r"\d{7}[A-W][A-I]?|\d[A-Z+*]\d{5}[A-W]",
    "IT": r"\d{11}",
    "LT": r"\d{9}|\d{12}",
    "LU": r"\d{8}",
    "LV": r"\d{11}",
    "MT": r"\d{8}",
    "NL": r"\d{9}B\d{2}",
    "PL": r"\d{10}",
    "PT": r"\d{9}",
    "RO": r"[1-9]\d{1,9}",
    "SE": r"\d{12}",
    "SI": r"\d{8}",
    "SK": r"\d{10}",
    "XI": r"\d{9}|\d{12}|GD\d{3}|HA\d{3}",
}


def french_vat_key(siren: str) -> str:
    """Return the two-digit key of the French VAT number of `siren`."""
    return f"{(12 + 3 * (int(siren) % 97)) % 97:02d}"


def validate_vat_number(value: str) -> None:
    """Refuse a VAT number whose prefix is no EU country's, whose length or characters are not that country's, or,
    for France, whose key or SIREN does not match."""
    number = compact(value)
    prefix, rest = number[:2], number[2:]
    if prefix not in VAT_PATTERNS:
        raise ValidationError(
            _("Start the VAT number with its EU country code, for example FR, BE or DE."), code="vat_prefix"
        )
    if not re.fullmatch(VAT_PATTERNS[prefix], rest):
        raise ValidationError(
            _("This is not the length or the format of a VAT number of %(prefix)s."),
            code="vat_format",
            params={"prefix": prefix},
        )
    if prefix == "FR":
        key, siren = rest[:2], rest[2:]
        if not is_siren(siren):
            raise ValidationError(
                _("The last 9 digits of a French VAT number are the SIREN, and this one is not valid."),
                code="vat_siren",
            )
        if key.isdigit() and key != french_vat_key(siren):
            raise ValidationError(
                _("The key of this French VAT number (its 2 characters after FR) does not match its SIREN."),
                code="vat_key",
            )


# -- the logo ------------------------------------------------------------------------------------------------------

LOGO_MAX_BYTES = 512 * 1024
# Big enough for any letterhead; a decompression bomb is refused before it is decoded.
LOGO_MAX_PIXELS = 4096 * 4096
LOGO_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}


def checked_logo(data: bytes) -> tuple[bytes, str]:
    """Return the logo re-encoded in its own format and its content type, or raise ValidationError.

    The type comes from decoding the bytes, never from the file's name or the browser's word; SVG and anything
    Pillow cannot read as PNG, JPEG or WebP are refused."""
    from PIL import Image, UnidentifiedImageError

    if len(data) > LOGO_MAX_BYTES:
        raise ValidationError(
            _("The logo is too large: %(size)s KB at most."),
            code="logo_too_large",
            params={"size": LOGO_MAX_BYTES // 1024},
        )
    refused = ValidationError(_("The logo must be a PNG, JPEG or WebP image (not SVG)."), code="logo_type")
    try:
        with Image.open(io.BytesIO(data), formats=list(LOGO_TYPES)) as image:
            if image.width * image.height > LOGO_MAX_PIXELS:
                raise ValidationError(
                    _("The logo is too large: 4096 × 4096 pixels at most."), code="logo_too_many_pixels"
                )
            image_format = image.format or ""
            image.load()
            out = io.BytesIO()
            # Re-encoded: metadata and anything after the pixels are dropped.
            if image_format == "JPEG" and image.mode not in ("RGB", "L"):
                image = image.convert("RGB")
            image.save(out, format=image_format)
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError) as error:
        raise refused from error
    if image_format not in LOGO_TYPES:
        raise refused
    return out.getvalue(), LOGO_TYPES[image_format]

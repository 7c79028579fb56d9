"""The window every date lives in moved to the ground floor (`crm/core/dates.py`); frozen migrations still name
`clients.bounds.validate_day_in_window`, `validate_moment_in_window` and `WindowConstraint`, so this path stays."""

from crm.core.dates import WindowConstraint, validate_day_in_window, validate_moment_in_window  # noqa: F401

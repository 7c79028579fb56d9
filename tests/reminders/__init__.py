"""Tests of crm/reminders/: the outbox, digests, nudges, status-update drafts, the calendar feed, real workers."""

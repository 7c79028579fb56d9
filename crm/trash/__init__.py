"""The way back: undo a one-click action, put a deleted record in the trash, restore it, purge it after 30 days.

`crm.trash.snapshot` serializes a record with everything its delete takes along (a client's projects and journal)
into a `TrashItem` and restores it with the same ids in one transaction; `crm.trash.undo` records what an action
changed in an `Undo` row and takes it back; `crm.trash.tasks` is the nightly purge. It uses the models and the
trust health (every restore recomputes the client); the web app uses it, never the reverse.
"""

"""Mail capture: the journal fills itself from the freelancer's mailbox.

It owns the mailbox settings and their encrypted secrets (`secrets.py`), the IMAP and SMTP connections and
their errors in words (`connection.py`), what is read of a message and what is kept (`messages.py`,
`privacy.py`), how kept messages become interactions, answers linked (`journal.py`), the incremental sync under
a lock (`sync.py`) and its Celery edge (`tasks.py`), the one-off `.mbox`/`.eml` import (`importing.py`), the rows
and the SMTP transport of status updates sent from the app (`sending.py`: the reminders' outbox sends them as one
of its kinds), and the Settings pages (`views.py`, `forms.py`). It uses the models and trust health, and imports
nothing of the reminders (tests/test_architecture.py).
"""

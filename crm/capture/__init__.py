"""Mail capture: the journal fills itself from the freelancer's mailbox.

It owns the mailbox settings and their encrypted secrets (`secrets.py`), the IMAP and SMTP connections and
their errors in words (`connection.py`), what is read of a message and what is kept (`messages.py`,
`privacy.py`), how kept messages become interactions, answers linked (`journal.py`), the incremental sync under
a lock (`sync.py`) and its Celery edge (`tasks.py`), the one-off `.mbox`/`.eml` import (`importing.py`), status
updates sent from the app through the outbox (`sending.py`), and the Settings pages (`views.py`, `forms.py`).
It uses the models and trust health; nothing of theirs imports it.
"""

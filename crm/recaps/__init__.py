"""Recaps after a call or a meeting (issue 26): what was decided, who promised what by when (each line a promise
of the journal), the open questions; written in one transaction through the journal's door, sent to the client
through the outbox in the client's language, answered by the client on their page (confirmed, or a line
corrected)."""

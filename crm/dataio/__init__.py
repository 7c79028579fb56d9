"""Bringing a book in and taking it out: CSV and vCard imports (previewed, then written all at once or not at
all), the export as a ZIP of CSVs, as one versioned JSON document and as vCards, and the import of that JSON.

Uses the models and trust health; nothing else in crm imports it but the web app's URLs."""

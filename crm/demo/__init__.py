"""Demo data, one module per use, so each importer takes only what it needs.

`crm/demo/personas.py`: the demo's freelancer. `crm/demo/book.py`: the demo book, a dozen clients across the
whole trust spectrum (`manage.py seed_demo`). `crm/demo/sample.py`: that book as the sample a new freelancer
explores and removes (the onboarding pages import only this). `crm/demo/large.py`: large generated books for
benchmarks. `crm/demo/derived.py`: what a bulk-written book derives afterwards (contact times, trust health and
its weekly snapshots).
"""

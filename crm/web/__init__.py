"""The freelancer's web app: the dashboard, a client's workspace, lists, logging forms and one-click actions.

- `views/`: thin views (`common` holds the ownership helpers every view starts from); `board` builds the
  dashboard's data, `timeline` a workspace's merged journal, `charts` the trend sparkline.
- `forms`: the journal's logging and action forms (client and project forms live in `clients.forms`).
- `fragments`: the cache of drawn journal items and page regions, keyed by what they show.
- `urls`: every page and action, under the `crm:` namespace.
"""

"""Tests of crm/web/: pages, lists, logging forms, one-click actions, the timeline, fragments, query budgets."""

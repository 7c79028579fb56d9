"""The freelancer's web app: pages, lists, logging forms and one-click actions (see crm/web/urls.py)."""

from __future__ import annotations

from crm.web.views.absences import absence_delete, absence_end, project_pause, project_resume
from crm.web.views.actions import (
    client_feeling,
    conflict_reopen,
    conflict_resolve,
    invoice_paid,
    invoice_renegotiate,
    invoice_reopen,
    promise_break,
    promise_drop,
    promise_explain,
    promise_keep,
    promise_reopen,
    status_update_sent,
)
from crm.web.views.contacts import contact_make_primary
from crm.web.views.edits import client_delete, contact_delete, delete_item, edit_item, project_delete
from crm.web.views.entries import new_entry
from crm.web.views.lists import client_list, conflict_list, invoice_list, promise_list
from crm.web.views.onboarding import guide, sample_book, sample_book_remove
from crm.web.views.pages import (
    absence_edit,
    absence_new,
    client_edit,
    client_new,
    client_workspace,
    conflict_detail,
    contact_edit,
    contact_new,
    dashboard,
    interaction_detail,
    invoice_detail,
    project_edit,
    project_new,
    promise_detail,
)
from crm.web.views.recaps import interaction_recap
from crm.web.views.scope import project_detail, scope_change_decide, scope_change_detail, scope_change_new
from crm.web.views.trash import trash_delete, trash_list, trash_restore, undo

__all__ = [
    "absence_delete",
    "absence_edit",
    "absence_end",
    "absence_new",
    "project_pause",
    "project_resume",
    "contact_delete",
    "contact_edit",
    "contact_make_primary",
    "contact_new",
    "guide",
    "sample_book",
    "sample_book_remove",
    "client_delete",
    "conflict_reopen",
    "delete_item",
    "edit_item",
    "invoice_reopen",
    "project_delete",
    "promise_reopen",
    "trash_delete",
    "trash_list",
    "trash_restore",
    "undo",
    "client_edit",
    "client_feeling",
    "client_list",
    "client_new",
    "client_workspace",
    "conflict_detail",
    "conflict_list",
    "conflict_resolve",
    "dashboard",
    "interaction_detail",
    "interaction_recap",
    "invoice_detail",
    "invoice_list",
    "invoice_paid",
    "invoice_renegotiate",
    "new_entry",
    "project_edit",
    "project_new",
    "promise_break",
    "promise_detail",
    "promise_drop",
    "promise_explain",
    "promise_keep",
    "promise_reopen",
    "promise_list",
    "status_update_sent",
    "project_detail",
    "scope_change_decide",
    "scope_change_detail",
    "scope_change_new",
]

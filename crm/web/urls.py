"""The freelancer's app: its pages and one-click actions, in the `web:` namespace (config/urls.py includes them
with the pages of the other rooms: reminders, import and export, mail capture, API tokens, the client's page
panel)."""

from __future__ import annotations

from django.urls import path

from crm.web import views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    # The first run: a sample book to explore, removed in one click
    path("sample/", views.sample_book, name="sample_book"),
    path("sample/remove/", views.sample_book_remove, name="sample_book_remove"),
    path("guide/", views.guide, name="guide"),
    # Clients and projects
    path("clients/", views.client_list, name="clients"),
    path("clients/new/", views.client_new, name="client_new"),
    path("clients/<int:client_id>/", views.client_workspace, name="client"),
    path("clients/<int:client_id>/edit/", views.client_edit, name="client_edit"),
    path("clients/<int:client_id>/delete/", views.client_delete, name="client_delete"),
    path("clients/<int:client_id>/projects/new/", views.project_new, name="project_new"),
    path("clients/<int:client_id>/contacts/new/", views.contact_new, name="contact_new"),
    path("contacts/<int:contact_id>/edit/", views.contact_edit, name="contact_edit"),
    path("contacts/<int:contact_id>/delete/", views.contact_delete, name="contact_delete"),
    path("contacts/<int:contact_id>/primary/", views.contact_make_primary, name="contact_make_primary"),
    path("clients/<int:client_id>/absences/new/", views.absence_new, name="absence_new"),
    path("absences/<int:absence_id>/edit/", views.absence_edit, name="absence_edit"),
    path("absences/<int:absence_id>/end/", views.absence_end, name="absence_end"),
    path("absences/<int:absence_id>/delete/", views.absence_delete, name="absence_delete"),
    path("projects/<int:project_id>/pause/", views.project_pause, name="project_pause"),
    path("projects/<int:project_id>/resume/", views.project_resume, name="project_resume"),
    path("projects/<int:project_id>/edit/", views.project_edit, name="project_edit"),
    path("projects/<int:project_id>/delete/", views.project_delete, name="project_delete"),
    # A project's agreed scope and the log of its changes (crm/web/views/scope.py)
    path("projects/<int:project_id>/", views.project_detail, name="project"),
    path("projects/<int:project_id>/scope-changes/new/", views.scope_change_new, name="scope_change_new"),
    path("scope-changes/<int:scope_change_id>/", views.scope_change_detail, name="scope_change"),
    path(
        "scope-changes/<int:scope_change_id>/accept/",
        views.scope_change_decide,
        {"accepted": True},
        name="scope_change_accept",
    ),
    path(
        "scope-changes/<int:scope_change_id>/decline/",
        views.scope_change_decide,
        {"accepted": False},
        name="scope_change_decline",
    ),
    path(
        "clients/<int:client_id>/status-update-sent/",
        views.status_update_sent,
        name="status_update_mark_sent",
    ),
    path("clients/<int:client_id>/feeling/", views.client_feeling, name="client_feeling_new"),
    # Logging: from a workspace (the client is given) or from anywhere (the client is chosen)
    path("interactions/new/", views.new_entry, {"kind": "interaction"}, name="interaction_new"),
    path("promises/new/", views.new_entry, {"kind": "promise"}, name="promise_new"),
    path("invoices/new/", views.new_entry, {"kind": "invoice"}, name="invoice_new"),
    path("conflicts/new/", views.new_entry, {"kind": "conflict"}, name="conflict_new"),
    path(
        "clients/<int:client_id>/interactions/new/",
        views.new_entry,
        {"kind": "interaction"},
        name="client_interaction_new",
    ),
    path(
        "clients/<int:client_id>/promises/new/",
        views.new_entry,
        {"kind": "promise"},
        name="client_promise_new",
    ),
    path(
        "clients/<int:client_id>/invoices/new/",
        views.new_entry,
        {"kind": "invoice"},
        name="client_invoice_new",
    ),
    path(
        "clients/<int:client_id>/conflicts/new/",
        views.new_entry,
        {"kind": "conflict"},
        name="client_conflict_new",
    ),
    # The events behind every row, and the one-click actions on them
    path("interactions/<int:interaction_id>/", views.interaction_detail, name="interaction"),
    # The recap of a call or a meeting: its form, then what the client answered (crm/recaps).
    path("interactions/<int:interaction_id>/recap/", views.interaction_recap, name="interaction_recap"),
    path(
        "interactions/<int:interaction_id>/edit/",
        views.edit_item,
        {"kind": "interaction"},
        name="interaction_edit",
    ),
    path(
        "interactions/<int:interaction_id>/delete/",
        views.delete_item,
        {"kind": "interaction"},
        name="interaction_delete",
    ),
    path("promises/", views.promise_list, name="promises"),
    path("promises/<int:promise_id>/", views.promise_detail, name="promise"),
    path("promises/<int:promise_id>/kept/", views.promise_keep, name="promise_keep"),
    path("promises/<int:promise_id>/broken/", views.promise_break, name="promise_break"),
    path("promises/<int:promise_id>/explain/", views.promise_explain, name="promise_explain"),
    path("promises/<int:promise_id>/dropped/", views.promise_drop, name="promise_drop"),
    path("promises/<int:promise_id>/reopen/", views.promise_reopen, name="promise_reopen"),
    path("promises/<int:promise_id>/edit/", views.edit_item, {"kind": "promise"}, name="promise_edit"),
    path("promises/<int:promise_id>/delete/", views.delete_item, {"kind": "promise"}, name="promise_delete"),
    path("invoices/", views.invoice_list, name="invoices"),
    path("invoices/<int:invoice_id>/", views.invoice_detail, name="invoice"),
    path("invoices/<int:invoice_id>/paid/", views.invoice_paid, name="invoice_mark_paid"),
    path("invoices/<int:invoice_id>/renegotiate/", views.invoice_renegotiate, name="invoice_renegotiate"),
    path("invoices/<int:invoice_id>/reopen/", views.invoice_reopen, name="invoice_reopen"),
    path("invoices/<int:invoice_id>/edit/", views.edit_item, {"kind": "invoice"}, name="invoice_edit"),
    path("invoices/<int:invoice_id>/delete/", views.delete_item, {"kind": "invoice"}, name="invoice_delete"),
    path("conflicts/", views.conflict_list, name="conflicts"),
    path("conflicts/<int:signal_id>/", views.conflict_detail, name="conflict"),
    path("conflicts/<int:signal_id>/resolve/", views.conflict_resolve, name="conflict_resolve"),
    path("conflicts/<int:signal_id>/reopen/", views.conflict_reopen, name="conflict_reopen"),
    path("conflicts/<int:signal_id>/edit/", views.edit_item, {"kind": "conflict"}, name="conflict_edit"),
    path(
        "conflicts/<int:signal_id>/delete/", views.delete_item, {"kind": "conflict"}, name="conflict_delete"
    ),
    # The way back: undo an action, restore from the trash
    path("undo/<int:undo_id>/", views.undo, name="undo"),
    path("trash/", views.trash_list, name="trash"),
    path("trash/<int:trash_id>/restore/", views.trash_restore, name="trash_restore"),
    path("trash/<int:trash_id>/delete/", views.trash_delete, name="trash_delete"),
    # The old address of "Send from my mailbox": the one status-update action (crm/web/views/actions.py), sending.
    path(
        "clients/<int:client_id>/status-update/send/",
        views.status_update_sent,
        {"send": True},
        name="status_update_send",
    ),
]

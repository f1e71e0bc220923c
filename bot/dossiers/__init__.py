"""Dossier status (issue 5): store, import, providers, lookup API for the conversation, notifications.

Entry points for the Rasa actions (build once, lazily):

    from bot.dossiers.factory import build_lookup
    from bot.dossiers.codes import find_dossier_codes
    result = build_lookup().lookup(code_text, last4, tracker.sender_id)

Importing this package does no work (no database, no network).
"""

"""Procedure guidance: what the conversation records besides the answers (citizen feedback)."""

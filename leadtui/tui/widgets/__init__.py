"""Widgets of the leadtui app (one per file; each styles its own insides)."""

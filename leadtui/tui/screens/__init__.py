"""Screens of the leadtui app (one per file)."""

"""Durable storage. The only package that imports tinydb (in journal_reader.py / tables.py)."""

"""Use cases, Textual-free and backend-free: every face (CLI, TUI, intake services) calls
these instead of a store write method."""

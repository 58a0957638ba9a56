"""The Textual face of leadtui: the workstation app, its screens and widgets."""

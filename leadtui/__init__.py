"""leadtui: a keyboard-driven terminal workstation for working inbound leads by phone."""

__version__ = "0.1.0"

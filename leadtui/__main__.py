"""`python -m leadtui` runs the command line."""

from leadtui.cli import main

raise SystemExit(main())

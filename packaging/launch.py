"""Entry script for the packaged app (PyInstaller needs a file, not `-m app`)."""

import sys

from app.cli import main

sys.exit(main())

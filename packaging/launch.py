"""Entry script for the packaged app (PyInstaller needs a file, not `-m app`)."""

import multiprocessing
import sys

if __name__ == "__main__":
    # First thing in the frozen program: a child that multiprocessing starts from this executable runs its
    # task and exits here, instead of opening another window.
    multiprocessing.freeze_support()

    from app.cli import main

    sys.exit(main())

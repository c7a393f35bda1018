"""``python -m langchain_posthog``: the same command line as ``langchain-posthog``."""

import sys

from langchain_posthog.cli import main

if __name__ == "__main__":
    sys.exit(main())

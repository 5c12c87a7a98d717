"""Running one command-line command: what the `rag` CLI and `python -m eval` share.

Here in the library, not in either adapter, so both import it without importing each other.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from pydantic import ValidationError

from rag.errors import RagError


def run_reporting_errors(command: Callable[[], int]) -> int:
    """Run a command; a RagError becomes one `error:` line on stderr and exit code 2.

    >>> run_reporting_errors(lambda: 0)
    0
    """
    try:
        return command()
    except RagError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except ValidationError as exc:
        # A bad setting (.env or RAG_* variables) is the user's input: name it, no traceback.
        for problem in exc.errors():
            where = "__".join(str(part) for part in problem["loc"]).upper()
            print(f"error: setting RAG_{where}: {problem['msg']}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130

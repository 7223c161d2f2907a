"""A Prefect API server (with its scheduler and other services) owned by one `s55 serve`.

Started as a child process of `s55 serve`; it ends when its parent ends, however the parent
ends: on Linux the kernel sends it SIGTERM when the parent dies (PR_SET_PDEATHSIG), and a
watcher thread does the same anywhere else. Its database is Prefect's default SQLite file
under PREFECT_HOME, which s55 sets to $S55_HOME/prefect.

    python -m s55.prefect_server HOST PORT PARENT_PID
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading
import time

PR_SET_PDEATHSIG = 1
KEEP_ALIVE_SECONDS = 75


def die_with(parent: int) -> None:
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        pass  # not Linux: the watcher below is enough
    if os.getppid() != parent:  # the parent died before the line above took effect
        sys.exit(0)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="watch-parent", daemon=True).start()


def main() -> None:
    host, port, parent = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    die_with(parent)
    import uvicorn
    from prefect.server.api.server import create_app

    uvicorn.run(create_app(final=True), host=host, port=port, log_level="error",
                timeout_keep_alive=KEEP_ALIVE_SECONDS)


if __name__ == "__main__":
    main()

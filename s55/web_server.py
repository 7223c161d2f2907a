"""The web app of one `s55 serve`, in a process of its own.

`s55 serve` starts it beside the route it serves, so that a person's request never waits for
Python's one lock (the GIL) while a route run renders pages, writes files or talks to Prefect
in the same process: on two cores a sign-off under 20 concurrent clients took 3-5 times as
long as a bare endpoint with both in one process. Like the Prefect server, it ends when its
parent ends, however the parent ends (prefect_server.die_with).

    python -m s55.web_server HOST PORT PARENT_PID
"""

from __future__ import annotations

import sys

from .prefect_server import die_with


def app():
    """The app, built in each worker process from the environment `s55 serve` passed on; a
    worker ends with the process that started it, however that ends."""
    import os

    from .services.context import Context

    die_with(os.getppid())
    from .web.app import create_app

    return create_app(Context.from_env())


def main() -> None:
    host, port, parent = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    die_with(parent)
    import uvicorn

    from .settings import Settings

    workers = Settings.from_env().web_workers
    # uvicorn's own proxy_headers would believe X-Forwarded-For from any loopback peer: the
    # app believes it only from S55_TRUSTED_PROXIES. With several workers uvicorn binds the
    # socket here and each worker process accepts on it.
    try:
        uvicorn.run("s55.web_server:app", factory=True, host=host, port=port, workers=workers,
                    log_level="warning", proxy_headers=False)
    except KeyboardInterrupt:  # Ctrl-C reaches the whole group; uvicorn raises it once stopped
        pass


if __name__ == "__main__":
    main()

"""Where s55's own files are: `config/` and `templates/` at the top of a checkout (editable
installs and the README's set-up use those, so an office edits them in place), or, in an
installed wheel, the copies it carries as the `s55_files` package (pyproject.toml)."""

from __future__ import annotations

from pathlib import Path

CHECKOUT = Path(__file__).resolve().parent.parent


def bundled(name: str) -> Path:
    """The folder `name` ('config' or 'templates') this s55 was installed with."""
    here = CHECKOUT / name
    if here.is_dir():
        return here
    installed = CHECKOUT / "s55_files" / name  # beside s55/ in site-packages
    if installed.is_dir():
        return installed
    raise FileNotFoundError(f"s55's {name}/ folder is neither in the checkout ({here}) nor "
                            f"installed with it ({installed})")

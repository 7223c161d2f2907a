"""Charts as SVG (matplotlib, imported only when a chart is drawn): the same drawing always
gives the same file, so a page that did not change is written the same."""

from __future__ import annotations


def figure(width: float, height: float):
    """(figure, axes) of a chart `width` by `height` inches."""
    import matplotlib

    matplotlib.use("Agg")
    matplotlib.rcParams["svg.hashsalt"] = "s55"  # the same drawing gives the same file
    import matplotlib.pyplot as plt

    return plt.subplots(figsize=(width, height))


def svg(fig) -> bytes:
    """The finished chart as SVG, its figure closed."""
    import io

    import matplotlib.pyplot as plt

    fig.tight_layout()
    out = io.StringIO()
    fig.savefig(out, format="svg", metadata={"Date": None})
    plt.close(fig)
    return out.getvalue().encode("utf-8")

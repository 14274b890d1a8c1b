"""The local web viewer (``rationalize view``): example list, highlighted examples, summary plots.

:class:`~rationalize.server.state.ViewerState` holds the split, the validated results files and every
precomputed number; :func:`~rationalize.server.app.create_app` builds the FastAPI app over it;
:mod:`~rationalize.server.render` and :mod:`~rationalize.server.plots` are shared with the static report
(:mod:`rationalize.report`). FastAPI is imported only by :mod:`rationalize.server.app`.
"""

from rationalize.server.state import ViewerState

__all__ = ["ViewerState", "create_app"]


def __getattr__(name: str):
    if name == "create_app":
        from rationalize.server.app import create_app

        return create_app
    raise AttributeError(name)

"""Progress bars that work in a terminal and in Jupyter without a warning.

``tqdm.auto`` picks the notebook widget whenever it runs under IPython and warns ("IProgress not
found") when ipywidgets is not installed, on import. This picks the widget only when ipywidgets is
importable, and the plain text bar (which Jupyter shows fine) otherwise.
"""

from __future__ import annotations

import importlib.util
import sys
from typing import Any


def _in_notebook() -> bool:
    shell = getattr(sys.modules.get("IPython"), "get_ipython", lambda: None)()
    return shell is not None and type(shell).__name__ == "ZMQInteractiveShell"


def progress_bar(iterable: Any, **kwargs: Any) -> Any:
    """``tqdm(iterable, **kwargs)``: the notebook widget in Jupyter with ipywidgets, text otherwise."""
    if _in_notebook() and importlib.util.find_spec("ipywidgets") is not None:
        from tqdm.notebook import tqdm
    else:
        from tqdm.std import tqdm
    return tqdm(iterable, **kwargs)

"""Human coding in JupyterLab: :class:`CodingSession` and its widget.

``CodingSession`` works without a browser (and without ipywidgets); displaying it in
JupyterLab shows the coding widget, which needs ipywidgets and anywidget
(``pip install 'cmqual[notebook]'``). The keyboard shortcuts are listed in
:data:`cmqual.widget.view.SHORTCUTS`.

Examples
--------
>>> from cmqual.widget import CodingSession                       # doctest: +SKIP
>>> session = CodingSession("projects/inquiry", coder="alice")    # doctest: +SKIP
>>> session                     # the last line of a cell: shows the widget  # doctest: +SKIP
"""

from cmqual.widget.session import CodingSession
from cmqual.widget.types import CodeInfo, Filters, Progress, Suggestion

__all__ = ["CodeInfo", "CodingSession", "Filters", "Progress", "Suggestion"]

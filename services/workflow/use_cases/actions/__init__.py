"""Action handlers, one module per action with side effects of its own (receive.py, transfer.py, ...), found
here at import: adding an action is its entry in the process definition (data/processes/*.yaml) and, if the
generic effects the definition declares (clock start, stop, resume, extend, finish) are not enough, a module in
this package registering its handler with `@registry.handles("<action>")`. See services/workflow/README.md."""

from __future__ import annotations

import importlib
import pkgutil

from services.workflow.use_cases.actions import registry
from services.workflow.use_cases.actions.context import ActionContext

for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")

__all__ = ["ActionContext", "registry"]

"""A notebook run as a pipeline step with parameters, as Data Factory runs a Databricks notebook
activity (or papermill does): the cell tagged `parameters` holds the defaults, a cell tagged
`injected-parameters` is put after it with the step's values, the notebook is executed with a
Python kernel (nbclient), and the executed copy, outputs and all, is written where the run
keeps it. A cell that fails fails the step, and the copy still shows where."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lakehouse.config import PROJECT_DIR

MONITORING = PROJECT_DIR / "notebooks" / "model_monitoring.ipynb"
TIMEOUT = 600  # seconds per cell


def run_notebook(notebook: Path, parameters: dict[str, Any], executed: Path) -> Path:
    """`notebook` executed with `parameters` (Python literals), written to `executed`."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    node = nbformat.read(notebook, as_version=4)
    tagged = [n for n, cell in enumerate(node.cells)
              if "parameters" in cell.get("metadata", {}).get("tags", [])]
    if not tagged:
        raise ValueError(f"{notebook} has no cell tagged `parameters`")
    source = "\n".join(f"{name} = {value!r}" for name, value in parameters.items())
    injected = nbformat.v4.new_code_cell(
        "# injected by the pipeline step that ran this copy\n" + source,
        metadata={"tags": ["injected-parameters"]})
    node.cells.insert(tagged[0] + 1, injected)
    executed.parent.mkdir(parents=True, exist_ok=True)
    try:
        NotebookClient(node, timeout=TIMEOUT, kernel_name="python3",
                       resources={"metadata": {"path": str(executed.parent)}}).execute()
    except CellExecutionError:
        nbformat.write(node, executed)
        raise
    nbformat.write(node, executed)
    return executed

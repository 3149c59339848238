"""Progress bars: no IProgress warning on import or use when ipywidgets is absent, in or out of Jupyter."""

import importlib.util
import subprocess
import sys

from clvkit._progress import progress_bar


def test_plain_bar_outside_jupyter():
    bar = progress_bar(range(3), disable=True)
    assert type(bar).__module__ == "tqdm.std" and list(bar) == [0, 1, 2]


def test_no_iprogress_warning_in_a_notebook_kernel_without_ipywidgets():
    """A fake ZMQ shell stands in for Jupyter: tqdm.auto would warn there, ours picks the text bar."""
    code = (
        "import sys, types, warnings\n"
        "warnings.simplefilter('error')\n"
        "class ZMQInteractiveShell: pass\n"
        "ipy = types.ModuleType('IPython'); ipy.get_ipython = lambda: ZMQInteractiveShell()\n"
        "sys.modules['IPython'] = ipy\n"
        "import clvkit\n"
        "from clvkit._progress import progress_bar\n"
        "print(type(progress_bar(range(2), disable=True)).__module__)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    expected = "tqdm.notebook" if importlib.util.find_spec("ipywidgets") else "tqdm.std"
    assert out.stdout.strip() == expected and "IProgress" not in out.stderr

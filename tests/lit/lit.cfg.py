"""lit configuration: every *.mlir under tests/lit is a test; tools from the venv."""

import os
import shutil
import sys

import lit.formats

config.name = "xunity"  # noqa: F821
config.test_format = lit.formats.ShTest()  # noqa: F821
config.suffixes = [".mlir"]  # noqa: F821
config.test_source_root = os.path.dirname(__file__)  # noqa: F821
config.excludes = ["lit.cfg.py", "Output"]  # noqa: F821

# The tools live next to the Python running lit (the project's venv).
bin_dir = os.path.dirname(sys.executable)
config.environment["PATH"] = os.pathsep.join(  # noqa: F821
    [bin_dir, config.environment.get("PATH", os.environ.get("PATH", ""))]  # noqa: F821
)
for tool in ("xunity-opt", "filecheck"):
    if shutil.which(tool, path=config.environment["PATH"]) is None:  # noqa: F821
        lit_config.fatal(f"{tool} not found on PATH; run pip install -e '.[test]'")  # noqa: F821

# A hung pass must fail its test, not the whole run (needs psutil).
config.maxIndividualTestTime = 120  # noqa: F821

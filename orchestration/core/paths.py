"""Where the project's own folders are: the dbt project and the GX suites sit beside the
Python package in the repository, wherever it is cloned. These are not settings (the
settings, paths of data, are read by `orchestration/app/config.py`)."""

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
EXPECTATIONS_DIR = PROJECT_ROOT / "expectations"

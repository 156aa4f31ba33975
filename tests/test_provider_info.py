"""Registration with Airflow: entry point, provider info, `airflow providers` commands."""

from __future__ import annotations

import os
import subprocess
import sys
from importlib.metadata import entry_points

from airflow_provider_clockwork import __version__
from airflow_provider_clockwork.get_provider_info import get_provider_info


def test_entry_point_leads_to_the_provider_info() -> None:
    ours = [
        e for e in entry_points(group="apache_airflow_provider") if e.value.startswith("airflow_provider_")
    ]
    (entry,) = [e for e in ours if e.value.startswith("airflow_provider_clockwork.")]
    info = entry.load()()

    assert info["package-name"] == "airflow-provider-clockwork"
    assert info["versions"] == [__version__]
    assert info == get_provider_info()


def test_every_declared_class_imports() -> None:
    from importlib import import_module

    info = get_provider_info()
    paths = [c["hook-class-name"] for c in info["connection-types"]] + info["notifications"]
    for path in paths:
        module, _, name = path.rpartition(".")
        assert hasattr(import_module(module), name), path
    for group in info["operators"] + info["sensors"] + info["hooks"]:
        for module in group["python-modules"]:
            import_module(module)


def airflow_cli(*args: str, home) -> str:
    env = {**os.environ, "AIRFLOW_HOME": str(home)}
    done = subprocess.run(
        [sys.executable, "-m", "airflow", *args], env=env, capture_output=True, text=True, timeout=180
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_airflow_lists_the_provider_and_its_connection_type(tmp_path) -> None:
    providers = airflow_cli("providers", "list", "--output", "plain", home=tmp_path)
    hooks = airflow_cli("providers", "hooks", "--output", "plain", home=tmp_path)

    assert "airflow-provider-clockwork" in providers
    assert any(
        line.split()[:2] == ["clockwork", "airflow_provider_clockwork.hooks.clockwork.ClockworkHook"]
        for line in hooks.splitlines()
    ), hooks

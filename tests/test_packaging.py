"""The course installs and imports as promised: light import, matching dependency lists, data shipped."""
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~ ;\[]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def test_environment_yml_lists_the_same_dependencies_as_pyproject():
    # conda's channels cannot be reached from CI, so this is the check that environment.yml stays in step
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pip_side = {_name(r) for r in project["dependencies"] + project["optional-dependencies"]["test"]}
    environment = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda_side = {_name(d) for d in environment["dependencies"] if isinstance(d, str)} - {"python", "pip"}
    assert conda_side == pip_side
    assert {"python", "pip"} <= {_name(d) for d in environment["dependencies"] if isinstance(d, str)}


def test_python_floor_matches():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    environment = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert project["requires-python"] == ">=3.10"
    assert "python>=3.10" in environment["dependencies"]


def test_import_and_analyze_stay_light():
    code = ("import sys, course_lib as cl; cl.analyze(cl.zoo.resnet50()); cl.roofline(cl.zoo.alexnet(), 'GTX 1080'); "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('matplotlib', 'ipywidgets', 'torch')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


@pytest.mark.parametrize("name", ["analyze", "op_counts", "Conv2d", "Network", "roofline", "devices", "get_device",
                                  "ridge_point", "attainable_flops", "conv_output_size", "pool_output_size", "zoo",
                                  "svd_linear", "tucker2_conv", "cp_conv", "prune", "quantize"])
def test_contract_names_are_reachable(name):
    import course_lib as cl
    assert hasattr(cl, name), f"course_lib.{name} is part of the contract (COURSE.md section 3)"


def test_device_catalog_is_package_data_with_a_source_for_every_row():
    import course_lib as cl
    table = cl.devices()
    assert (table["source"].str.len() > 20).all()
    expected = {"GTX 580", "GTX 1080", "V100 SXM2 fp32", "V100 SXM2 fp16 tensor", "A100 SXM 80GB fp32", "H100 SXM fp32",
                "H200 SXM fp32", "RTX 4090 fp32", "Jetson AGX Orin 64GB int8", "TPU v1", "TPU v4",
                "Xeon E5345 (seeds)", "DDR4-2400 channel", "120 TFLOP/s example"}
    assert expected <= set(table["name"])
    assert table["name"].is_unique


def test_readme_has_the_two_commands_and_ci_runs_the_test_one():
    readme = (ROOT / "README.md").read_text()
    assert "make lab" in readme and "make test" in readme
    assert "make test" in (ROOT / ".ci" / "run").read_text()

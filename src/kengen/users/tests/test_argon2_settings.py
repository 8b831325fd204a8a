"""The Argon2id parameters come from the environment and can only be raised (issue 9)."""

import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from kengen.settings import KENGEN_ARGON2_MINIMUM, argon2_parameters


def test_the_defaults_are_the_owasp_minimum():
    assert argon2_parameters({}) == {"memory_cost": 19456, "time_cost": 2, "parallelism": 1}
    assert argon2_parameters({}) == KENGEN_ARGON2_MINIMUM


def test_each_parameter_can_be_raised():
    params = argon2_parameters(
        {
            "KENGEN_ARGON2_MEMORY_KIB": "65536",
            "KENGEN_ARGON2_TIME_COST": "3",
            "KENGEN_ARGON2_PARALLELISM": "2",
        }
    )
    assert params == {"memory_cost": 65536, "time_cost": 3, "parallelism": 2}


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [
        ("KENGEN_ARGON2_MEMORY_KIB", "19455", "below the OWASP minimum"),
        ("KENGEN_ARGON2_TIME_COST", "1", "below the OWASP minimum"),
        ("KENGEN_ARGON2_PARALLELISM", "0", "below the OWASP minimum"),
        ("KENGEN_ARGON2_MEMORY_KIB", "19 MiB", "whole number"),
        ("KENGEN_ARGON2_TIME_COST", "-3", "whole number"),
        ("KENGEN_ARGON2_TIME_COST", "1000", "more than"),
    ],
)
def test_values_below_the_minimum_or_malformed_are_refused_naming_the_variable(variable, value, says):
    with pytest.raises(ImproperlyConfigured) as exc:
        argon2_parameters({variable: value})
    assert variable in str(exc.value) and says in str(exc.value)


def test_kengen_refuses_to_start_below_the_minimum(tmp_path):
    env = {"KENGEN_ARGON2_MEMORY_KIB": "4096", "KENGEN_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [sys.executable, "-m", "kengen.cli", "check"], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode != 0
    assert "KENGEN_ARGON2_MEMORY_KIB=4096 is below the OWASP minimum" in done.stderr

"""The personnel tests' shared fixtures (also used by the HR wave's tests)."""

from kengen.personnel.tests.fixtures import grants, hr

__all__ = ["grants", "hr"]

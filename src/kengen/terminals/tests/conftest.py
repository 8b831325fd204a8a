import pytest

from kengen.systems.choices import SystemKind
from kengen.terminals.services import enrolment_open


@pytest.fixture
def enrolment(world):
    """The two-factor authentication system, administered by 情報システム課 (so its head is the
    two-factor system administrator), and a pending enrolment of the 人事係 clerk 田中 花子 (A6.4)."""
    world.system(
        "2FA",
        "二要素認証システム",
        SystemKind.TWO_FACTOR,
        owner=world.joho,
        permissions=(("terminal", "端末使用"),),
    )
    return enrolment_open(actor=None, person=world.people["jinji_clerk"])

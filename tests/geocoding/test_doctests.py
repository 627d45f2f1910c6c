import doctest

import pytest

import geocoding.parse


@pytest.mark.parametrize("module", [geocoding.parse])
def test_doctests(module):
    result = doctest.testmod(module)
    assert result.attempted > 0
    assert result.failed == 0

"""The examples in docstrings are tests too."""

import doctest

import pytest

import boundaries.geometry
import boundaries.importing.sources
import geopool.text
import geopool.tracking
import routing_rules.errors


@pytest.mark.parametrize(
    "module",
    [
        geopool.text,
        geopool.tracking,
        boundaries.geometry,
        boundaries.importing.sources,
        routing_rules.errors,
    ],
)
def test_docstring_examples(module):
    result = doctest.testmod(module)
    assert result.attempted > 0
    assert result.failed == 0

"""Stripe's bracket form encoding, decoded by the sandbox."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stripe._encode import _api_encode  # the encoder the library uses for every request

from stripe_sandbox.errors import StripeError
from stripe_sandbox.forms import Params, decode


def test_nested_hashes_arrays_and_appends():
    assert decode(
        "metadata[a]=1&metadata[0]=x&line_items[0][price_data][unit_amount]=500"
        "&line_items[1][quantity]=2&expand[]=a&expand[]=b&flag=true&empty="
    ) == {
        "metadata": {"a": "1", "0": "x"},
        "line_items": [{"price_data": {"unit_amount": "500"}}, {"quantity": "2"}],
        "expand": ["a", "b"],
        "flag": "true",
        "empty": "",
    }
    assert decode("a[10]=k&a[2]=j") == {"a": ["j", "k"]}
    assert decode("metadata=&metadata[k]=v") == {"metadata": {"k": "v"}}


def test_conflicting_shapes_are_rejected():
    with pytest.raises(StripeError) as error:
        decode("a=1&a[b]=2")
    assert error.value.status == 400
    with pytest.raises(StripeError):
        decode("a[b]=2&a=1")


def test_metadata_update_semantics():
    current = {"keep": "1", "drop": "2"}
    assert Params(decode("metadata[drop]=&metadata[new]=3")).metadata(current) == {
        "keep": "1",
        "new": "3",
    }
    assert Params(decode("metadata=")).metadata(current) == {}
    assert Params(decode("other=1")).metadata(current) == current
    with pytest.raises(StripeError) as error:
        Params(decode("metadata[" + "k" * 41 + "]=v")).metadata()
    assert error.value.param == "metadata[" + "k" * 41 + "]"


keys = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=8)
scalars = st.text(
    alphabet=st.characters(exclude_categories=["Cs"], exclude_characters="\x00"),
    max_size=12,
).filter(lambda s: s != "")
leaf_dicts = st.dictionaries(keys, scalars, min_size=1, max_size=3)
values = st.one_of(
    scalars,
    leaf_dicts,
    st.lists(scalars, min_size=1, max_size=3),
    st.lists(leaf_dicts, min_size=1, max_size=3),
    st.dictionaries(keys, leaf_dicts, min_size=1, max_size=2),
)


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(keys.filter(lambda k: k != "metadata"), values, max_size=4))
def test_decode_inverts_the_stripe_library_encoder(params):
    assert decode(urlencode(list(_api_encode(params)))) == params

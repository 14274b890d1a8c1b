"""Raw inputs as a one-split dataset (:mod:`rationalize.data.inputs`) and the contract's raw-input route."""

from __future__ import annotations

import pytest

from rationalize.data import INPUTS_SPLIT, inputs_dataset, make_synthetic
from rationalize.data.inputs import is_inputs
from rationalize.rationalizers.base import load_rationalizer


def test_strings_and_records_become_one_split():
    ds = inputs_dataset(["a great film\nreally", {"id": "r9", "text": "dull , slow", "query": "is it good?", "label": "NEG"}],
                        labels=["NEG", "POS"])
    assert list(ds.splits) == [INPUTS_SPLIT] and ds.labels == ["NEG", "POS"]
    first, second = ds[INPUTS_SPLIT]
    assert (first.id, first.label, first.query) == ("input-0", None, None)
    assert ds.doc("input-0").tokens == ["a", "great", "film", "really"] and ds.doc("input-0").sentences == [(0, 3), (3, 4)]
    assert (second.id, second.label, second.query, second.docids) == ("r9", "NEG", "is it good?", ["r9"])
    assert inputs_dataset("one text")[INPUTS_SPLIT][0].id == "input-0"
    assert inputs_dataset("great!", tokenizer="simple").doc("input-0").tokens == ["great", "!"]
    # without a label set, the labels given are the set
    assert inputs_dataset([{"text": "x", "label": "b"}, {"text": "y", "label": "a"}]).labels == ["a", "b"]


@pytest.mark.parametrize(("inputs", "message"), [
    ([], "no inputs"),
    (["ok", "   "], r"input 1, field 'text': expected non-empty text"),
    ([{"text": "a", "lable": "POS"}], r"input 0: unknown field 'lable'"),
    ([{"text": "a", "label": "MAYBE"}], r"input 0, field 'label': 'MAYBE' is not one of NEG, POS"),
    ([{"text": "a", "id": "x"}, {"text": "b", "id": "x"}], r"input 1, field 'id': 'x' is used twice"),
    ([{"text": "a", "query": 3}], r"input 0, field 'query': expected text"),
])
def test_bad_inputs_name_the_input_and_field(inputs, message):
    with pytest.raises(ValueError, match=message):
        inputs_dataset(inputs, labels=["NEG", "POS"])


def test_is_inputs_tells_inputs_from_datasets():
    assert is_inputs("text") and is_inputs({"text": "t"}) and is_inputs(["a", {"text": "b"}])
    assert not is_inputs(make_synthetic(seed=0, train=2, val=1, test=1)) and not is_inputs([]) and not is_inputs([1])


def test_the_contract_asks_for_a_split_with_a_dataset_and_none_with_inputs():
    ds = make_synthetic(seed=0, train=2, val=1, test=1)
    r = load_rationalizer("random", "posthoc", model=None)
    with pytest.raises(TypeError, match="needs the split"):
        r.rationalize(ds)
    with pytest.raises(TypeError, match="raw inputs form one split"):
        r.rationalize("a text", "test")


def test_freetext_raw_inputs_need_the_labels_to_prompt_with():
    r = load_rationalizer("explain-then-predict", generator=object())
    with pytest.raises(ValueError, match=r"pass labels=\[...\]"):
        r.rationalize("a text without labels")

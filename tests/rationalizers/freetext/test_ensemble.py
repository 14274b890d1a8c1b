"""Self-consistency: majority vote over sampled rationales, keeping the agreeing ones."""

from __future__ import annotations

from rationalize.rationalizers.freetext import GenerationConfig, ParsedOutput, majority_vote, self_consistency


def P(label, expl="e", status="ok"):  # noqa: N802
    return ParsedOutput("t", label if status == "ok" else None, expl, status)


def test_majority_vote_keeps_agreeing_rationales_and_ignores_unparseable():
    v = majority_vote([P("A", "a1"), P("B", "b1"), P("A", "a2"), P(None, "x", "unparseable"), P(None, "y", "ambiguous")])
    assert (v.label, v.status, v.votes) == ("A", "ok", {"A": 2, "B": 1})
    assert v.agreeing == [0, 2] and v.explanations == ["a1", "a2"]
    assert v.n_unparseable == 2 and v.agreement == 2 / 5


def test_tie_and_all_unparseable_are_reported_not_guessed():
    tie = majority_vote([P("A"), P("B"), P(None, status="unparseable")])
    assert (tie.label, tie.status, tie.explanations) == (None, "tie", [])
    none = majority_vote([P(None, status="unparseable")] * 3)
    assert (none.label, none.status, none.agreement) == (None, "unparseable", 0.0)


def test_self_consistency_with_the_tiny_model(toy, toy_template, trained_toy):
    gen, _, _ = trained_toy
    exs = toy["val"][:12]
    res = self_consistency(gen, toy_template, [toy_template.prompt(e, toy) for e in exs], [toy.labels] * len(exs),
                           n=5, config=GenerationConfig(max_new_tokens=14, do_sample=True, temperature=1.0, seed=3))
    assert len(res) == len(exs)
    correct = 0
    for ex, (samples, vote) in zip(exs, res):
        assert len(samples) == 5
        assert sum(vote.votes.values()) + vote.n_unparseable == 5
        assert all(samples[i].label == vote.label for i in vote.agreeing)
        correct += vote.label == ex.label
    assert correct >= 11

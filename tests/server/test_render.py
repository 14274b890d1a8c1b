"""The shared highlighting code: escaping, classes by token offset, heat-map colours."""

from __future__ import annotations

import re

from rationalize.data.schema import Document
from rationalize.server.render import heat_color, heat_legend, render_tokens, soft_scale


def test_tokens_are_escaped_and_marked_by_offset():
    doc = Document.from_sentences("d", [["<script>alert(1)</script>", "ok"], ["<img src=x onerror=alert(1)>", "&"]])
    html = str(render_tokens(doc, hard=[True, False, False, True], gold=[False, True, True, False],
                             soft=[1.0, -0.5, 0.0, 2.0]))
    assert "<script>" not in html and "<img" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert re.findall(r'class="tok hl[^"]*" data-i="(\d+)"', html) == ["0", "3"]
    assert re.findall(r'class="tok[^"]* g" data-i="(\d+)"', html) == ["1", "2"]
    assert html.count('<p class="sent"') == 2
    # soft colours: scale = max |score| = 2; 2.0 is full orange, -0.5 a quarter-strength blue, 0 transparent.
    assert 'data-i="3" style="background-color:rgba(230,85,13,0.850)"' in html
    assert 'data-i="1" style="background-color:rgba(49,130,189,0.212)"' in html
    assert 'data-i="2" style="background-color:rgba(230,85,13,0.000)"' in html


def test_tokens_outside_sentences_are_still_rendered():
    doc = Document("d", ["a", "b", "c"], [(0, 1)])
    html = str(render_tokens(doc))
    assert re.findall(r'data-i="(\d+)"', html) == ["0", "1", "2"]


def test_heat_scale_and_legend():
    assert soft_scale([0.1, -3.0, float("nan")]) == 3.0
    assert soft_scale(None) == 0.0
    assert heat_color(1.0, 0.0) == "transparent"
    assert heat_color(5.0, 1.0) == "rgba(230,85,13,0.850)"  # clipped to the scale
    legend = str(heat_legend(2.0, signed=True))
    assert ">-2<" in legend and ">2<" in legend
    assert ">0<" in str(heat_legend(2.0, signed=False))


def test_sentence_scores_mark_each_sentence():
    doc = Document.from_sentences("d", [["a", "b"], ["c"]])
    html = str(render_tokens(doc, soft_sentences=[0.5, -1.0]))
    marks = re.findall(r'<p class="sent" data-s="(\d)"><span class="sent-score" title="sentence score ([^"]+)" '
                       r'style="background-color:([^"]+)"', html)
    assert marks == [("0", "0.5", "rgba(230,85,13,0.425)"), ("1", "-1", "rgba(49,130,189,0.850)")]

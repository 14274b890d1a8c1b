"""Generators: a tiny GPT-2 trained on a task with a known explanation, and an OpenAI-compatible client
against a local fake server."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from rationalize.errors import RationalizeError
from rationalize.rationalizers.freetext import GenerationConfig, HFGenerator, OpenAIGenerator, load_generator


def _score(gen, toy, template, cfg=None):
    outs = gen.generate([template.prompt(ex, toy) for ex in toy["val"]], cfg or GenerationConfig(max_new_tokens=16))
    parsed = [template.parse(o[0].text, toy.labels) for o in outs]
    acc = sum(p.label == ex.label for p, ex in zip(parsed, toy["val"])) / len(parsed)
    expl = sum(p.explanation == ex.explanations[0] for p, ex in zip(parsed, toy["val"])) / len(parsed)
    return acc, expl, outs


def test_trained_tiny_model_generates_the_known_explanation(toy, toy_template, trained_toy):
    gen, history, _ = trained_toy
    losses = [e["val_loss"] for e in history.epochs]
    assert losses[-1] < 0.25 * losses[0]
    acc, expl, outs = _score(gen, toy, toy_template)
    # the explanation must name the planted signal word: copying it is the whole task
    assert acc >= 0.95 and expl >= 0.9, (acc, expl, outs[:3])
    # token counts: "explanation : the word X is Y answer : L" + EOS = 11
    assert all(o[0].n_tokens == 11 for o in outs if o[0].text.count(" ") == 9)


def test_untrained_model_does_not_explain(toy, toy_template):
    from tests.rationalizers.freetext.tiny import tiny_causal_lm

    acc, expl, _ = _score(tiny_causal_lm(seed=1), toy, toy_template, GenerationConfig(max_new_tokens=12))
    assert expl == 0.0


def test_batched_equals_one_by_one_and_sampling_is_seeded(toy, toy_template, trained_toy):
    gen, _, _ = trained_toy
    prompts = [toy_template.prompt(ex, toy) for ex in toy["val"][:6]]
    batched = gen.generate(prompts, GenerationConfig(max_new_tokens=12, batch_size=6))
    single = gen.generate(prompts, GenerationConfig(max_new_tokens=12, batch_size=1))
    assert [o[0].text for o in batched] == [o[0].text for o in single]
    cfg = GenerationConfig(max_new_tokens=12, do_sample=True, temperature=2.0, num_return_sequences=3, seed=7)
    a, b = gen.generate(prompts, cfg), gen.generate(prompts, cfg)
    assert [[g.text for g in o] for o in a] == [[g.text for g in o] for o in b]
    assert all(len(o) == 3 for o in a)
    c = gen.generate(prompts, GenerationConfig(**{**cfg.__dict__, "seed": 8}))
    assert [[g.text for g in o] for o in a] != [[g.text for g in o] for o in c]
    with pytest.raises(ValueError):
        GenerationConfig(num_return_sequences=2)  # several samples need sampling


def test_saved_model_reloads_with_the_same_outputs(toy, toy_template, trained_toy):
    from rationalize.models.base import load_model

    gen, _, folder = trained_toy
    again = load_model(folder / "model")
    assert isinstance(again, HFGenerator)
    prompts = [toy_template.prompt(ex, toy) for ex in toy["val"][:4]]
    cfg = GenerationConfig(max_new_tokens=12)
    assert [o[0].text for o in again.generate(prompts, cfg)] == [o[0].text for o in gen.generate(prompts, cfg)]
    forced = gen.generate(prompts[:1], cfg, prefixes=[" explanation: the word good is positive answer :"])
    assert forced[0][0].text.strip() == "POS"


class _FakeOpenAI(BaseHTTPRequestHandler):
    requests: list[dict] = []
    fail_next = 0

    def log_message(self, *args):  # quiet
        pass

    def do_POST(self):  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).requests.append({"path": self.path, "auth": self.headers.get("Authorization"), **body})
        if type(self).fail_next:
            type(self).fail_next -= 1
            self.send_response(503)
            self.end_headers()
            self.wfile.write(b"busy")
            return
        if body.get("model") != "toy":
            self.send_response(404)
            self.end_headers()
            self.wfile.write(b'{"error": "model not found"}')
            return
        prompt = body.get("prompt") or body["messages"][0]["content"]
        word = prompt.split()[-1]
        texts = [f" explanation: echo {word} {i} answer: POS" for i in range(body["n"])]
        if self.path.endswith("/chat/completions"):
            choices = [{"index": i, "message": {"role": "assistant", "content": t}} for i, t in enumerate(texts)]
        else:
            choices = [{"index": i, "text": t} for i, t in reversed(list(enumerate(texts)))]  # any order
        payload = json.dumps({"choices": choices, "usage": {"completion_tokens": 7 * len(texts)}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(payload)


@pytest.fixture()
def fake_server():
    _FakeOpenAI.requests = []
    _FakeOpenAI.fail_next = 0
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FakeOpenAI)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()


def test_openai_client_against_fake_server(fake_server):
    gen = load_generator(f"openai:toy@{fake_server}")
    assert isinstance(gen, OpenAIGenerator)
    prompts = [f"prompt {i}" for i in range(5)]
    outs = gen.generate(prompts, GenerationConfig(max_new_tokens=9, batch_size=3))
    assert [o[0].text for o in outs] == [f" explanation: echo {i} 0 answer: POS" for i in range(5)]  # prompt order kept
    assert all(o[0].n_tokens == 7 for o in outs)
    req = _FakeOpenAI.requests[0]
    assert req["path"] == "/v1/completions" and req["max_tokens"] == 9 and req["temperature"] == 0.0 and req["n"] == 1
    cfg = GenerationConfig(do_sample=True, temperature=0.5, top_p=0.9, top_k=4, num_return_sequences=3, seed=11)
    outs = gen.generate(["x 1"], cfg)
    assert [g.text for g in outs[0]] == [f" explanation: echo 1 {i} answer: POS" for i in range(3)]  # index order
    req = _FakeOpenAI.requests[-1]
    assert (req["temperature"], req["top_p"], req["top_k"], req["seed"], req["n"]) == (0.5, 0.9, 4, 11, 3)
    chat = OpenAIGenerator("toy", fake_server, api_key="k", chat=True)
    assert chat.generate(["hello 3"])[0][0].text == " explanation: echo 3 0 answer: POS"
    assert _FakeOpenAI.requests[-1]["path"] == "/v1/chat/completions"
    assert _FakeOpenAI.requests[-1]["auth"] == "Bearer k"


def test_openai_client_retries_and_reports_errors(fake_server):
    _FakeOpenAI.fail_next = 1
    gen = OpenAIGenerator("toy", fake_server, retries=1)
    assert gen.generate(["a b"])[0][0].text.startswith(" explanation: echo b")
    with pytest.raises(RationalizeError, match="HTTP 404.*model not found"):
        OpenAIGenerator("other", fake_server).generate(["a"])
    with pytest.raises(RationalizeError, match="could not reach"):
        OpenAIGenerator("toy", "http://127.0.0.1:9/v1", retries=0, timeout=2).generate(["a"])
    with pytest.raises(ValueError):
        load_generator("openai:toy")

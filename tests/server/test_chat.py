"""The chat page and API of the viewer: answers are the conversation's, everything is escaped."""

from __future__ import annotations

import pytest

from tests.server.fixtures import SCRIPT_TOKEN


@pytest.fixture(scope="module")
def chat_client(viewer_state):
    import torch
    from fastapi.testclient import TestClient

    from rationalize.dialogue import Conversation
    from rationalize.models.training import train_classifier
    from rationalize.server import create_app

    torch.manual_seed(0)
    ds = viewer_state.dataset
    clf, _ = train_classifier(ds, "cnn", None, epochs=1, progress=False, vectors=None, hidden=16, train_split="val")
    conv = Conversation(ds, clf, "val", encoder=None, max_examples=3)
    return TestClient(create_app(viewer_state, conv)), conv


def test_chat_page_and_answers(chat_client, viewer_state):
    client, conv = chat_client
    page = client.get("/chat")
    assert page.status_code == 200 and 'id="chat-form"' in page.text
    assert 'href="/chat"' in client.get("/").text
    first = viewer_state.examples[0]
    r = client.post("/api/chat", json={"question": f"what do you predict for id {first.id}?"})
    body = r.json()
    assert r.status_code == 200 and body["parse"] == f"filter id {first.id} and predict"
    assert body["answer"]["data"]["prediction"] == conv.workspace.predicted()[0]
    r = client.post("/api/chat", json={"program": "labels source gold"}).json()
    assert r["answer"]["table"]["rows"] and r["parse"] == "labels source gold"


def test_script_in_question_and_document_is_escaped(chat_client, viewer_state):
    client, _ = chat_client
    first = viewer_state.examples[0]
    r = client.post("/api/chat", json={"question": f"show id {first.id} <script>alert(2)</script>"}).json()
    assert SCRIPT_TOKEN in r["answer"]["text"]  # the document's token, as text
    assert "<script>" not in r["html"] and "&lt;script&gt;alert(1)&lt;/script&gt;" in r["html"]
    r = client.post("/api/chat", json={"question": "<script>alert(3)</script>"}).json()
    assert "<script>" not in r["html"]
    r = client.post("/api/chat", json={"question": f"top words for id {first.id}"}).json()
    assert "<script>" not in r["html"] and 'class="tok' in r["html"]


def test_chat_api_bad_bodies(chat_client):
    client, _ = chat_client
    assert client.post("/api/chat", content=b"not json", headers={"content-type": "application/json"}).status_code == 400
    assert client.post("/api/chat", json={"question": ""}).status_code == 400
    assert client.post("/api/chat", json=["x"]).status_code == 400
    assert client.post("/api/chat", json={"question": "x" * 3000}).status_code == 400
    r = client.post("/api/chat", json={"program": "filter colour red and show"}).json()
    assert r["answer"]["error"] and "grammar" in r["answer"]["text"]


def test_no_chat_without_a_model(client):
    assert client.get("/chat").status_code == 404
    assert 'href="/chat"' not in client.get("/").text


def test_summary_headline_table(client, viewer_state):
    from rationalize.server.render import headline_rows

    html = client.get("/summary").text
    assert 'class="grid headline"' in html and "<details" in html
    rows = headline_rows([r.scores for r in viewer_state.runs])
    macro = viewer_state.runs[0].scores["classification_scores"]["prf"]["macro avg"]["f1-score"]
    assert rows[0][0] == macro and rows[1][5] is None  # the hard-only file has no sufficiency
    head = html.split('class="grid headline"', 1)[1].split("</table>", 1)[0]
    assert head.count("<tr>") == 1 + len(viewer_state.runs)

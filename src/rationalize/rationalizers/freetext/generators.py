"""Text generators behind one interface: local Hugging Face models and OpenAI-compatible endpoints.

:class:`HFGenerator` wraps any causal LM (left-padded batches) or encoder-decoder model loaded with
:func:`rationalize.models.hub.hf_load` (aliases such as ``smollm2`` stay offline). :class:`OpenAIGenerator`
talks to any server with the OpenAI ``/v1/completions`` or ``/v1/chat/completions`` API (vLLM,
llama.cpp's ``llama-server``, Ollama) with the standard library only. Both take a
:class:`GenerationConfig` (greedy or sampled, temperature, top-p, top-k, N samples per prompt, seed,
batch size) and return, per prompt, a list of :class:`Generation`.

:func:`load_generator` picks one from a string: ``openai:MODEL@http://host:port/v1`` for an endpoint,
anything else (alias, folder, hub id) for a local model.
"""

from __future__ import annotations

import copy
import json
import os
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from rationalize.errors import RationalizeError


@dataclass
class GenerationConfig:
    """Decoding controls. ``do_sample=False`` is greedy decoding (temperature and top-p are ignored).
    Local models reseed with ``seed + batch_index`` before every batch, so a run is repeatable for a given
    batch size; endpoints receive ``seed`` (servers that honour it are repeatable too)."""

    max_new_tokens: int = 64
    do_sample: bool = False
    temperature: float = 1.0
    top_p: float = 1.0
    top_k: int = 0
    num_return_sequences: int = 1
    seed: int = 0
    batch_size: int = 8

    def __post_init__(self) -> None:
        if self.max_new_tokens < 1 or self.num_return_sequences < 1 or self.batch_size < 1:
            raise ValueError("max_new_tokens, num_return_sequences and batch_size must be positive")
        if self.num_return_sequences > 1 and not self.do_sample:
            raise ValueError("several samples per prompt need do_sample=True (greedy decoding repeats itself)")
        if self.do_sample and self.temperature <= 0:
            raise ValueError("temperature must be positive when sampling")


@dataclass
class Generation:
    """One generated continuation and the number of tokens generated (up to and including EOS)."""

    text: str
    n_tokens: int


@runtime_checkable
class Generator(Protocol):
    """Anything that continues prompts: ``generate(prompts, config)`` returns one list of
    ``config.num_return_sequences`` generations per prompt, in prompt order."""

    name: str

    #: ``prefixes[i]`` is text the model's answer to ``prompts[i]`` is forced to start with (after the
    #: chat template, when there is one); the returned text is what follows it.
    def generate(self, prompts: Sequence[str], config: GenerationConfig | None = None,
                 progress: bool = False, prefixes: Sequence[str] | None = None) -> list[list[Generation]]:
        """Continue each prompt (followed by its entry of ``prefixes``, a forced answer start, when given):
        one list of ``config.num_return_sequences`` generations per prompt, in prompt order."""


class HFGenerator:
    """A local Hugging Face causal LM or seq2seq model.

    ``chat=True`` wraps each prompt in the tokenizer's chat template (one user turn plus the assistant
    prefix), for instruction-tuned models such as SmolLM2-Instruct; training on a chat-wrapped generator
    (:mod:`.training`) wraps prompts the same way, so fine-tuning and generation agree.
    """

    def __init__(self, model: Any, tokenizer: Any, name: str = "model", chat: bool = False,
                 max_input_tokens: int | None = 1024):
        self.model = model
        self.tokenizer = tokenizer
        self.name = name
        self.chat = chat
        self.max_input_tokens = max_input_tokens
        self.is_seq2seq = bool(getattr(model.config, "is_encoder_decoder", False))
        if tokenizer.pad_token is None:
            tokenizer.pad_token = tokenizer.eos_token
        if not self.is_seq2seq:
            tokenizer.padding_side = "left"  # causal LMs continue from the right edge
        if chat and not getattr(tokenizer, "chat_template", None):
            raise ValueError(f"model {name!r} has no chat template; use chat=False")

    @classmethod
    def from_pretrained(cls, name: str, chat: bool = False, **kwargs: Any) -> HFGenerator:
        """Load an alias (``smollm2``), a local folder or a hub id, offline-first. A folder saved by
        :meth:`save` remembers its ``chat`` setting."""
        import torch
        from transformers import AutoConfig, AutoModelForCausalLM, AutoModelForSeq2SeqLM, AutoTokenizer

        from rationalize.models.hub import hf_load

        cfg_path = Path(name) / "rationalize.json"
        if cfg_path.exists():
            chat = bool(json.loads(cfg_path.read_text(encoding="utf-8")).get("chat", chat))
        config = hf_load(AutoConfig, name)
        factory = AutoModelForSeq2SeqLM if getattr(config, "is_encoder_decoder", False) else AutoModelForCausalLM
        tokenizer = hf_load(AutoTokenizer, name)
        model = hf_load(factory, name, dtype=kwargs.pop("dtype", torch.float32), **kwargs)
        model.eval()
        return cls(model, tokenizer, name=str(name), chat=chat)

    @classmethod
    def load(cls, folder: str | Path) -> HFGenerator:
        """Reload a generator saved with :meth:`save` (what :func:`rationalize.models.base.load_model` calls)."""
        return cls.from_pretrained(str(folder))

    def save(self, folder: str | Path) -> Path:
        """Save model, tokenizer and ``rationalize.json``. A model loaded from GGUF cannot be
        ``save_pretrained`` as is; it is rebuilt from its config with the same (dequantised) weights."""
        from transformers import AutoModelForCausalLM, AutoModelForSeq2SeqLM

        from rationalize.models.base import save_config

        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        model = self.model
        if getattr(model, "hf_quantizer", None) is not None or getattr(model.config, "quantization_config", None):
            factory = AutoModelForSeq2SeqLM if self.is_seq2seq else AutoModelForCausalLM
            config = copy.deepcopy(model.config)
            if hasattr(config, "quantization_config"):
                del config.quantization_config
            clean = factory.from_config(config)
            clean.load_state_dict(model.state_dict())
            model = clean
        model.save_pretrained(folder)
        self.tokenizer.save_pretrained(folder)
        save_config(folder, type(self), chat=self.chat, source=self.name)
        return folder

    def render(self, prompt: str) -> str:
        """The exact text fed to the model for ``prompt`` (the chat template applied when ``chat``)."""
        if not self.chat:
            return prompt
        return self.tokenizer.apply_chat_template([{"role": "user", "content": prompt}], tokenize=False,
                                                  add_generation_prompt=True)

    def _encode(self, texts: list[str]) -> Any:
        kw: dict[str, Any] = {"return_tensors": "pt", "padding": True}
        if self.max_input_tokens:
            kw.update(truncation=True, max_length=self.max_input_tokens)
        if self.chat:
            kw["add_special_tokens"] = False  # the template already has them
        return self.tokenizer(texts, **kw)

    def _count(self, row: Any) -> int:
        """Generated tokens up to and including the first EOS (padding after it not counted)."""
        eos = self.tokenizer.eos_token_id
        ids = row.tolist()
        if eos is not None and eos in ids:
            return ids.index(eos) + 1
        pad = self.tokenizer.pad_token_id
        while ids and pad is not None and ids[-1] == pad:
            ids.pop()
        return len(ids)

    def generate(self, prompts: Sequence[str], config: GenerationConfig | None = None,
                 progress: bool = False, prefixes: Sequence[str] | None = None) -> list[list[Generation]]:
        """Generate locally in batches of ``config.batch_size`` prompts (see :meth:`Generator.generate`); forced
        ``prefixes`` work for causal LMs only. Sampling is seeded per batch from ``config.seed``."""
        import torch

        from rationalize.progress import Progress

        cfg = config or GenerationConfig()
        texts = [self.render(p) for p in prompts]
        if prefixes is not None:
            if self.is_seq2seq:
                raise ValueError("forced answer prefixes are supported for causal LMs only")
            texts = [t + x for t, x in zip(texts, prefixes, strict=True)]
        out: list[list[Generation]] = []
        starts = range(0, len(texts), cfg.batch_size)
        bar = Progress(total=len(starts), desc="generate", unit="batch", enabled=progress, leave=False)
        for b, start in enumerate(starts):
            enc = self._encode(texts[start : start + cfg.batch_size])
            kw: dict[str, Any] = {"max_new_tokens": cfg.max_new_tokens, "do_sample": cfg.do_sample,
                                  "num_return_sequences": cfg.num_return_sequences,
                                  "pad_token_id": self.tokenizer.pad_token_id}
            if self.tokenizer.eos_token_id is not None:
                kw["eos_token_id"] = self.tokenizer.eos_token_id
            if cfg.do_sample:
                kw.update(temperature=cfg.temperature, top_p=cfg.top_p, top_k=cfg.top_k or None)
            else:
                kw.update(temperature=None, top_p=None, top_k=None)
            torch.manual_seed(cfg.seed + b)
            with torch.no_grad():
                seqs = self.model.generate(**enc, **kw)
            new = seqs if self.is_seq2seq else seqs[:, enc["input_ids"].shape[1]:]
            if self.is_seq2seq:
                new = new[:, 1:]  # drop the decoder start token
            k = cfg.num_return_sequences
            for i in range(enc["input_ids"].shape[0]):
                rows = new[i * k : (i + 1) * k]
                out.append([Generation(self.tokenizer.decode(r, skip_special_tokens=True), self._count(r))
                            for r in rows])
            bar.update()
        bar.close()
        return out


class OpenAIGenerator:
    """A model behind an OpenAI-compatible HTTP API (``base_url`` ends in ``/v1``).

    One request per prompt (``n`` samples each), ``batch_size`` requests in flight at once; failed
    requests are retried ``retries`` times on connection errors and 5xx answers. The API key comes from
    ``api_key`` or ``$OPENAI_API_KEY`` (local servers usually need none).
    """

    def __init__(self, model: str, base_url: str, api_key: str | None = None, chat: bool = False,
                 timeout: float = 120.0, retries: int = 2):
        self.model = model
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key if api_key is not None else os.environ.get("OPENAI_API_KEY")
        self.chat = chat
        self.timeout = timeout
        self.retries = retries
        self.name = f"openai:{model}@{self.base_url}"

    def _post(self, path: str, payload: dict[str, Any]) -> dict[str, Any]:
        data = json.dumps(payload).encode("utf-8")
        headers = {"Content-Type": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        url = self.base_url + path
        for attempt in range(self.retries + 1):
            req = urllib.request.Request(url, data=data, headers=headers, method="POST")
            try:
                with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                    return json.loads(resp.read().decode("utf-8"))
            except urllib.error.HTTPError as exc:
                body = exc.read().decode("utf-8", "replace")[:500]
                if exc.code < 500 or attempt == self.retries:
                    raise RationalizeError(f"{url} answered HTTP {exc.code}: {body}") from None
            except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
                if attempt == self.retries:
                    raise RationalizeError(f"could not reach {url}: {exc}") from None
            time.sleep(0.5 * 2**attempt)
        raise AssertionError("unreachable")

    def _one(self, prompt: str, cfg: GenerationConfig) -> list[Generation]:
        payload: dict[str, Any] = {"model": self.model, "max_tokens": cfg.max_new_tokens,
                                   "n": cfg.num_return_sequences, "seed": cfg.seed,
                                   "temperature": cfg.temperature if cfg.do_sample else 0.0}
        if cfg.do_sample:
            payload["top_p"] = cfg.top_p
            if cfg.top_k:
                payload["top_k"] = cfg.top_k  # vLLM / llama.cpp extension
        if self.chat:
            payload["messages"] = [{"role": "user", "content": prompt}]
            resp = self._post("/chat/completions", payload)
        else:
            payload["prompt"] = prompt
            resp = self._post("/completions", payload)
        choices = sorted(resp.get("choices", []), key=lambda c: c.get("index", 0))
        if len(choices) != cfg.num_return_sequences:
            raise RationalizeError(f"{self.base_url} returned {len(choices)} choices, asked for "
                                   f"{cfg.num_return_sequences}")
        texts = [c["message"]["content"] if self.chat else c["text"] for c in choices]
        used = (resp.get("usage") or {}).get("completion_tokens")
        per = [used // len(texts)] * len(texts) if isinstance(used, int) else [len(t.split()) for t in texts]
        return [Generation(t, n) for t, n in zip(texts, per)]

    def generate(self, prompts: Sequence[str], config: GenerationConfig | None = None,
                 progress: bool = False, prefixes: Sequence[str] | None = None) -> list[list[Generation]]:
        """One API request per prompt, ``config.batch_size`` in flight at once (see :meth:`Generator.generate`);
        forced ``prefixes`` need the completions API (``chat=False``)."""
        from rationalize.progress import Progress

        cfg = config or GenerationConfig()
        if prefixes is not None:
            if self.chat:
                raise ValueError("forced answer prefixes need the completions API (chat=False)")
            prompts = [p + x for p, x in zip(prompts, prefixes, strict=True)]
        out: list[list[Generation]] = []
        with ThreadPoolExecutor(max_workers=cfg.batch_size) as pool, \
                Progress(total=len(prompts), desc="generate", unit="prompt", enabled=progress, leave=False) as bar:
            for gens in pool.map(lambda p: self._one(p, cfg), prompts):
                out.append(gens)
                bar.update()
        return out


def load_generator(spec: str, chat: bool = False) -> Generator:
    """``openai:MODEL@URL`` (URL ending in ``/v1``) for an endpoint; an alias, folder or hub id otherwise."""
    if spec.startswith("openai:"):
        model, sep, url = spec[len("openai:"):].partition("@")
        if not sep or not url.startswith(("http://", "https://")):
            raise ValueError(f"endpoint spec {spec!r} must look like openai:MODEL@http://host:port/v1")
        return OpenAIGenerator(model, url, chat=chat)
    return HFGenerator.from_pretrained(spec, chat=chat)

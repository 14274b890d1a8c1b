"""Free-text rationales: generate, vote, bootstrap (STaR) and fine-tune natural-language explanations.

* :mod:`.generators` -- local Hugging Face models and OpenAI-compatible endpoints behind one interface;
* :mod:`.templates` -- per-task prompts in explain-then-predict / predict-then-explain, WT5 or CoT style;
* :mod:`.parsing` -- labels parsed back from text, unparseable outputs reported as such;
* :mod:`.ensemble` -- self-consistency (Wang et al. 2022);
* :mod:`.star` -- the STaR loop (Zelikman et al. 2022), checkpointed and resumable;
* :mod:`.training` -- fine-tuning on human explanations (WT5, Narang et al. 2020);
* :mod:`.probes` -- chain-of-thought faithfulness probes (Lanham et al. 2023), which rerun the model;
* :mod:`.pipeline` -- the generate-to-file API behind ``rationalize generate``.

Metrics that need no model (LAS, BLEU/ROUGE, readability, and ``evaluate_freetext`` over a results file)
are in :mod:`rationalize.metrics.freetext`.
"""

from rationalize.rationalizers.freetext.ensemble import VoteResult, majority_vote, self_consistency
from rationalize.rationalizers.freetext.generators import (
    Generation, GenerationConfig, Generator, HFGenerator, OpenAIGenerator, load_generator,
)
from rationalize.rationalizers.freetext.parsing import ParsedOutput, match_label, parse_output
from rationalize.rationalizers.freetext.probes import cot_faithfulness_probes, probe_records
from rationalize.rationalizers.freetext.star import StarConfig, run_star
from rationalize.rationalizers.freetext.templates import (
    FORMATS, STYLES, PromptTemplate, TaskSpec, task_for,
)
from rationalize.rationalizers.freetext.training import explainer_pairs, train_explainer

__all__ = [
    "FORMATS", "STYLES", "Generation", "GenerationConfig", "Generator", "HFGenerator", "OpenAIGenerator",
    "ParsedOutput", "PromptTemplate", "StarConfig", "TaskSpec", "VoteResult", "cot_faithfulness_probes",
    "explainer_pairs", "load_generator", "majority_vote", "match_label", "parse_output", "probe_records", "run_star",
    "self_consistency", "task_for", "train_explainer",
]

"""Rasa tokenizer on underthesea's Vietnamese word segmentation.

Tokens are words as underthesea segments them ("đăng ký", "tạm trú"), with offsets into the
text the pipeline sees (after :class:`nlu.normalizer.VietnameseNormalizer`). Links, e-mail
addresses, dossier codes and numbers are kept whole. Each token's lemma is its diacritic-folded,
abbreviation-expanded form ("ko" → "khong", "Đăng ký" → "dang_ky"), so featurizers that use
lemmas see the same thing whether or not the citizen typed diacritics. With ``syllable_lemmas``
the syllables are joined by spaces ("dang ky"): word featurizers then split them and see the same
syllables however underthesea segmented the text.
"""

from __future__ import annotations

import re
from typing import Any, Dict, List, Tuple, Type

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.tokenizers.tokenizer import Token, Tokenizer
from rasa.shared.nlu.training_data.message import Message

from nlu.normalizer import VietnameseNormalizer
from nlu.text import expand_abbreviation, fold_diacritics

# Spans that must stay one token: links, e-mail, dossier codes (000.00.17.H26-230101-0001,
# H26.22-230101-0001), dates and numbers with separators.
PROTECTED_RE = re.compile(
    r"https?://\S+|www\.\S+"
    r"|[\w.+-]+@[\w-]+\.[\w.-]+"
    r"|\b[\w]+(?:[.\-/][\w]+)*-\d{6}-\d{4}\b"
    r"|\b\d+(?:[.,/:\-]\d+)+\b",
    re.UNICODE,
)
_WORD_CHAR_RE = re.compile(r"\w", re.UNICODE)
_EDGE_NON_WORD_RE = re.compile(r"^[^\w]+|[^\w]+$", re.UNICODE)
_TRAILING_PUNCT = ".,;:!?)]}\"'"


def lemma_of(word: str, joiner: str = "_") -> str:
    """Folded, lower-case, abbreviation-expanded form of a word, syllables joined by ``joiner``."""
    expanded = expand_abbreviation(word)
    return joiner.join(fold_diacritics(expanded).split())


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class UndertheseaTokenizer(Tokenizer):
    """Vietnamese word tokenizer (underthesea ``word_tokenize``)."""

    @classmethod
    def required_components(cls) -> List[Type]:
        return [VietnameseNormalizer]

    @staticmethod
    def supported_languages() -> List[str] | None:
        return ["vi"]

    @staticmethod
    def required_packages() -> List[str]:
        return ["underthesea"]

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        return {
            # Flag to check whether to split intents
            "intent_tokenization_flag": False,
            # Symbol on which intent should be split
            "intent_split_symbol": "_",
            # Regular expression to detect tokens
            "token_pattern": None,
            # Symbol on which prefix should be split
            "prefix_separator_symbol": None,
            # Lemmas as syllables joined by spaces ("dang ky"): word featurizers then see the
            # same syllables however underthesea segmented the text (it segments text typed
            # without diacritics poorly). False: syllables joined by "_" ("dang_ky").
            "syllable_lemmas": False,
        }

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> GraphComponent:
        return cls(config)

    def tokenize(self, message: Message, attribute: str) -> List[Token]:
        text = message.get(attribute)
        if not isinstance(text, str) or not text.strip():
            return []
        joiner = " " if self._config.get("syllable_lemmas") else "_"
        tokens = [Token(word, start, lemma=lemma_of(word, joiner)) for word, start in segment(text)]
        return self._apply_token_pattern(tokens)


def segment(text: str) -> List[Tuple[str, int]]:
    """Split ``text`` into (word, start offset) pairs; punctuation-only pieces are dropped."""
    pieces: List[Tuple[str, int]] = []
    cursor = 0
    for match in PROTECTED_RE.finditer(text):
        pieces.extend(_segment_plain(text, cursor, match.start()))
        value = match.group(0).rstrip(_TRAILING_PUNCT)
        pieces.append((value, match.start()))
        cursor = match.start() + len(value)
    pieces.extend(_segment_plain(text, cursor, len(text)))
    return pieces


def _segment_plain(text: str, begin: int, end: int) -> List[Tuple[str, int]]:
    chunk = text[begin:end]
    if not _WORD_CHAR_RE.search(chunk):
        return []
    from underthesea import word_tokenize  # heavy import, kept off module import

    words: List[Tuple[str, int]] = []
    offset = 0
    for word in word_tokenize(chunk):
        position = chunk.find(word, offset)
        if position < 0:
            # underthesea changed the surface form; fall back to the syllables it covers
            continue
        offset = position + len(word)
        # underthesea may glue an emoji or a symbol to a word ("chào 🙏"): trim it off.
        trimmed = _EDGE_NON_WORD_RE.sub("", word)
        if trimmed:
            words.append((trimmed, begin + position + word.index(trimmed)))
    covered = bytearray(len(chunk))
    for word, start in words:
        covered[start - begin : start - begin + len(word)] = b"\x01" * len(word)
    # Anything underthesea skipped (rare) is added back syllable by syllable.
    for match in re.finditer(r"\w+", chunk):
        if not covered[match.start()]:
            words.append((match.group(0), begin + match.start()))
    words.sort(key=lambda item: item[1])
    return words

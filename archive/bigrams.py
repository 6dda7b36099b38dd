"""Exact substring search for Chinese on stock SQLite FTS5: the text is indexed as overlapping bigrams.

SQLite's tokenizers cannot segment Chinese (unicode61 makes a whole clause one token, trigram finds
nothing under three characters), and this Python cannot load extensions. So the archive indexes a
derived token stream and translates each query into an FTS5 expression over the same stream:

* normalisation (both sides): NFKC, lowercase, control characters dropped, whitespace runs made one space;
* a *run* is a maximal sequence of letters/digits. A run ``abcd`` gives the bigrams ``ab bc cd`` and
  its last character ``d`` as a unigram. The unigram ends every run, so bigrams of two runs are never
  adjacent and a 1-character query ``x`` is the prefix query ``x*`` (every occurrence of ``x`` starts
  a bigram or ends a run);
* every other non-space character (punctuation, symbols) is a token of its own, and every run of
  whitespace is the token ``WHITESPACE``; so a query with punctuation is one exact phrase too.

A query word becomes one phrase of consecutive tokens; whitespace-separated words are ANDed (Datasette's
semantics). The result is exactly the set of texts containing every normalised word as a substring.
The FTS table must use ``TOKENIZE`` so that unicode61 splits the derived stream only at spaces.
"""
from __future__ import annotations

import re
import unicodedata

# Bump when the token stream changes: a contentless FTS index must then be rebuilt, not patched.
VERSION = 1

# unicode61 treats every category except separators (Z*) and controls (Cc) as part of a token,
# so our punctuation tokens survive and only the spaces we put between tokens split the stream.
TOKENIZE = (
    "unicode61 remove_diacritics 0 "
    "categories 'L* N* M* P* S* Co Cn Cf Cs'"
)
WHITESPACE = "_ws"  # two characters: never equal to a single punctuation token, never a bigram

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x84\x86-\x9f]")
_SPACES = re.compile(r"\s+")
_QUOTED = re.compile(r'"([^"]*)"?|(\S+)')


def normalize(text: str) -> str:
    """The form both the index and the query are compared in."""
    return _SPACES.sub(" ", _CONTROL.sub("", unicodedata.normalize("NFKC", text or "").lower()))


def _is_run_char(ch: str) -> bool:
    return unicodedata.category(ch)[0] in "LN"


def _segments(text: str) -> list[tuple[str, str]]:
    """Split normalised text into ("run", chars) | ("punct", char) | ("space", chars) segments."""
    segments: list[tuple[str, str]] = []
    kind_of = lambda c: "run" if _is_run_char(c) else ("space" if c.isspace() else "punct")  # noqa: E731
    for ch in text:
        kind = kind_of(ch)
        if kind != "punct" and segments and segments[-1][0] == kind:
            segments[-1] = (kind, segments[-1][1] + ch)
        else:
            segments.append((kind, ch))
    return segments


def _run_tokens(run: str) -> list[str]:
    return [run[i : i + 2] for i in range(len(run) - 1)] + [run[-1]]


def tokens(text: str) -> list[str]:
    """The token stream of a (raw) text, as indexed."""
    out: list[str] = []
    for kind, chars in _segments(normalize(text)):
        if kind == "run":
            out.extend(_run_tokens(chars))
        elif kind == "punct":
            out.append(chars)
        else:
            out.append(WHITESPACE)
    return out


def index_text(text: str) -> str:
    """The derived column value stored in the FTS table."""
    return " ".join(tokens(text))


def _quote(token_list: list[str]) -> str:
    return '"' + " ".join(token_list).replace('"', '""') + '"'


def word_query(word: str) -> str | None:
    """One FTS5 phrase matching exactly the texts that contain `word` (already a single word)."""
    segments = _segments(normalize(word))
    phrase: list[str] = []
    prefix = False
    for i, (kind, chars) in enumerate(segments):
        last = i == len(segments) - 1
        if kind == "punct":
            phrase.append(chars)
        elif kind == "space":
            phrase.append(WHITESPACE)
        elif not last:
            # The text's run must end here too, where the query's next segment begins.
            phrase.extend(_run_tokens(chars))
        elif len(chars) == 1:
            phrase.append(chars)
            prefix = True  # the text's run may go on: "x" is a bigram "xy" or the unigram "x"
        else:
            phrase.extend(_run_tokens(chars)[:-1])
    if not phrase:
        return None
    return _quote(phrase) + (" *" if prefix else "")


def fts_query(query: str) -> str:
    """Datasette's `escape_fts` replacement: whitespace-separated words ANDed, "quoted text" kept whole.

    A query with nothing searchable returns a phrase that matches no row.
    """
    words = [m.group(1) if m.group(1) is not None else m.group(2) for m in _QUOTED.finditer(query or "")]
    phrases = [p for p in (word_query(w) for w in words if w.strip()) if p]
    return " AND ".join(phrases) if phrases else '"' + WHITESPACE + WHITESPACE + '"'


def contains_all(text: str, query: str) -> bool:
    """The truth `fts_query` implements, in Python: every normalised word is a substring."""
    haystack = normalize(text)
    words = [m.group(1) if m.group(1) is not None else m.group(2) for m in _QUOTED.finditer(query or "")]
    words = [normalize(w) for w in words if w.strip()]
    return bool(words) and all(w in haystack for w in words)

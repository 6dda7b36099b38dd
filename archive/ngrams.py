"""Exact substring search for Chinese on stock SQLite FTS5: the text is indexed as overlapping n-grams.

SQLite's tokenizers cannot segment Chinese (unicode61 makes a whole clause one token, trigram finds
nothing under three characters), and this Python cannot load extensions. So the archive indexes a
derived token stream and translates each query into an FTS5 expression over the same stream:

* normalisation (both sides): NFKC, lowercase, control characters dropped, whitespace runs made one space;
* a *run* is a maximal sequence of letters/digits. A run ``abcde`` gives one token per character: the
  trigrams ``abc bcd cde``, then the bigram ``de`` and the unigram ``e`` that end every run. So each
  occurrence of a character starts a token, and a 1- or 2-character query is the prefix query ``x*`` /
  ``xy*`` (answered by the prefix indexes), a 3-character query is one token, and a longer one is the
  phrase of its trigrams. Tokens of two runs are never adjacent n-grams of one string;
* every other non-space character (punctuation, symbols) is a token of its own, and every run of
  whitespace is the token ``WHITESPACE``; so a query with punctuation is one exact phrase too.

A query word becomes one phrase of consecutive tokens; whitespace-separated words are ANDed (Datasette's
semantics). The result is exactly the set of texts containing every normalised word as a substring.
The FTS table must use ``TOKENIZE`` so that unicode61 splits the derived stream only at spaces.

A second, doc-level index (``gram_text``: each text's distinct GRAM-character substrings, FTS5
detail=none) narrows words of GRAM characters or more: a phrase whose trigrams are all common (every
report has 信息公开 and 、依申请) but that is itself rare makes the trigram phrase read every report's
positions, while the AND of its 4-grams (息公开、 is rare) reads a few short doclists. Its candidates are
confirmed against the normalised text (archive.search_sql.narrowed), so the answer stays exact.
"""
from __future__ import annotations

import re
import unicodedata

# Bump when the token stream changes: a contentless FTS index must then be rebuilt, not patched.
VERSION = 2

# unicode61 treats every category except separators (Z*) and controls (Cc) as part of a token,
# so our punctuation tokens survive and only the spaces we put between tokens split the stream.
TOKENIZE = (
    "unicode61 remove_diacritics 0 "
    "categories 'L* N* M* P* S* Co Cn Cf Cs'"
)
WHITESPACE = "_ws"  # starts with "_", which is not a run character: no query token or prefix equals it

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x84\x86-\x9f]")
_SPACES = re.compile(r"\s+")
# A run is letters and digits (Unicode: [^\W_]); whitespace; anything else is one character.
_SEGMENT = re.compile(r"([^\W_]+)|(\s+)|(.)", re.S)
_QUOTED = re.compile(r'"([^"]*)"?|(\S+)')


def normalize(text: str) -> str:
    """The form both the index and the query are compared in."""
    return _SPACES.sub(" ", _CONTROL.sub("", unicodedata.normalize("NFKC", text or "").lower()))


def _segments(text: str) -> list[tuple[str, str]]:
    """Split normalised text into ("run", chars) | ("space", chars) | ("punct", one char) segments."""
    out = []
    for run, space, other in _SEGMENT.findall(text):
        out.append(("run", run) if run else ("space", space) if space else ("punct", other))
    return out


def _run_tokens(run: str) -> list[str]:
    """One token per character of the run: trigrams, then the last bigram and the last character."""
    return [run[i : i + 3] for i in range(len(run) - 2)] + ([run[-2:]] if len(run) > 1 else []) + [run[-1]]


def tokens(text: str) -> list[str]:
    """The token stream of a (raw) text, as indexed."""
    out: list[str] = []
    for run, space, other in _SEGMENT.findall(normalize(text)):
        if run:
            out.extend(_run_tokens(run))
        else:
            out.append(WHITESPACE if space else other)
    return out


def index_text(text: str) -> str:
    """The derived column value stored in the FTS table."""
    return " ".join(tokens(text))


GRAM = 4  # characters per unit of the doc-level index
MAX_QUERY_GRAMS = 32  # a long word is narrowed by this many of its grams, spread over it
_GRAM_SPACE = "\u2420"  # "␠" stands for the space inside a gram (a real ␠ only widens the candidates)


def _grams(normalized: str) -> list[str]:
    """The distinct GRAM-character substrings of a normalised string, in order of first occurrence."""
    return list(dict.fromkeys(normalized[i : i + GRAM].replace(" ", _GRAM_SPACE)
                              for i in range(len(normalized) - GRAM + 1)))


def gram_text(text: str) -> str:
    """The derived column value of the doc-level gram index (one token per distinct gram of the text)."""
    return " ".join(_grams(normalize(text)))


def grams_query(query: str) -> str | None:
    """An FTS5 expression over the gram index matching a superset of the texts that contain every word
    of at least GRAM characters (the AND of their grams); None when no word is that long."""
    grams: list[str] = []
    for word in normalized_words(query):
        found = _grams(word)
        if len(found) > MAX_QUERY_GRAMS:  # the first, the last and evenly spaced ones between
            step = (len(found) - 1) / (MAX_QUERY_GRAMS - 1)
            found = [found[round(i * step)] for i in range(MAX_QUERY_GRAMS)]
        grams.extend(g for g in found if g not in grams)
    return " AND ".join(_quote([g]) for g in grams) if grams else None


def _quote(token_list: list[str]) -> str:
    return '"' + " ".join(token_list).replace('"', '""') + '"'


def _word_tokens(word: str) -> tuple[list[str], bool]:
    """The consecutive tokens a text containing `word` has, and whether the last one is a prefix."""
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
        elif len(chars) <= 2:
            phrase.append(chars)
            prefix = True  # the text's run may go on: "xy" starts a trigram "xy?" or is the final bigram
        else:
            phrase.extend(chars[i : i + 3] for i in range(len(chars) - 2))
    return phrase, prefix


def word_query(word: str) -> str | None:
    """One FTS5 phrase matching exactly the texts that contain `word` (already a single word)."""
    if not normalize(word).strip():
        return None
    phrase, prefix = _word_tokens(word)
    if not phrase:
        return None
    return _quote(phrase) + (" *" if prefix else "")


def tokens_query(query: str) -> str:
    """The AND of every token of every word, each on its own: the reports that hold them all anywhere, a
    superset of the matches that FTS5 reads without positions (what a phrase query must also read)."""
    terms: list[str] = []
    for word in query_words(query):
        if normalize(word).strip():
            phrase, prefix = _word_tokens(word)
            for i, token in enumerate(phrase):
                term = _quote([token]) + (" *" if prefix and i == len(phrase) - 1 else "")
                if term not in terms:
                    terms.append(term)
    return " AND ".join(terms) if terms else fts_query("")


def query_words(query: str) -> list[str]:
    """The words of a query as Datasette's search box means them: split at whitespace, "quoted text" kept."""
    words = [m.group(1) if m.group(1) is not None else m.group(2) for m in _QUOTED.finditer(query or "")]
    return [w for w in words if w.strip()]


def fts_query(query: str) -> str:
    """Datasette's `escape_fts` replacement: one exact phrase per word, ANDed.

    A query with nothing searchable returns a phrase that matches no row.
    """
    phrases = [p for p in map(word_query, query_words(query)) if p]
    return " AND ".join(phrases) if phrases else '"' + WHITESPACE + WHITESPACE + '"'


def normalized_words(query: str) -> list[str]:
    """The query's words as compared with normalised text (words that normalise to nothing dropped)."""
    return [n for n in (normalize(w) for w in query_words(query)) if n.strip()]


def contains_all(text: str, query: str) -> bool:
    """The truth `fts_query` implements, in Python: every normalised word is a substring of the text."""
    haystack = normalize(text)
    words = normalized_words(query)
    return bool(words) and all(w in haystack for w in words)

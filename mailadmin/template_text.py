"""Finds text a person reads in a template that is not inside a translation tag: text between
tags, the attributes title, placeholder, aria-label and alt, and quoted words handed to
`default:` or to an include's `with`.  Used by the suite (tests/test_i18n.py) over every template."""
import re
from html.parser import HTMLParser

READ_ATTRIBUTES = {"title", "placeholder", "aria-label", "alt"}
# Words that stay as they are in every language: the product's name, units, protocol words.
ALLOWED_WORDS = {"mailadmin", "HTTP", "ms", "mak"}

_BLOCK = re.compile(r"{%\s*(blocktranslate|blocktrans|comment)\b.*?{%\s*end\1\s*%}", re.S)
_CLASS_BLOCK = re.compile(r"{%\s*block\s+body_class\s*%}.*?{%\s*endblock\s*%}", re.S)  # a CSS class name
_COMMENT = re.compile(r"{#.*?#}", re.S)
_TAG = re.compile(r"{%.*?%}", re.S)
_VARIABLE = re.compile(r"{{.*?}}", re.S)
_LITERAL_ARGUMENT = re.compile(r'(?:default:|\bwith\s+(?:\w+=\S+\s+)*(\w+)=)"([^"]*[A-Za-z][^"]*)"')
# An include's arguments that name things for the markup, not for the reader (an element's id).
_MARKUP_ARGUMENTS = {"target"}
_WORD = re.compile(r"[^\W\d_]{2,}")


class _Reader(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.found.extend(value for name, value in attrs if name in READ_ATTRIBUTES and value)

    def handle_data(self, data):
        self.found.append(data)


def _readable(text: str) -> bool:
    return not text.endswith(".html") and any(word not in ALLOWED_WORDS for word in _WORD.findall(text))


def untranslated(source: str) -> list[str]:
    """The pieces of `source` (a template's text) a reader sees that no translation tag covers."""
    found = [match.group(2) for tag in _TAG.findall(source) + _VARIABLE.findall(source)
             for match in _LITERAL_ARGUMENT.finditer(tag) if match.group(1) not in _MARKUP_ARGUMENTS]
    text = _VARIABLE.sub(" ", _TAG.sub(" ", _COMMENT.sub(" ", _BLOCK.sub(" ", _CLASS_BLOCK.sub(" ", source)))))
    reader = _Reader()
    reader.feed(text)
    reader.close()
    return [" ".join(piece.split()) for piece in found + reader.found if _readable(piece)]

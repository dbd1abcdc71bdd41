"""Formal request letters: a request as the signed PDF/A-3 letter a central authority files,
prints and forwards, in the requested State's language, with the request's canonical document
embedded for the receiving node (docs/letters.md).

The floors inside: :mod:`~hanoix.letters.compose` is pure (a request and the kind's declaration
in, the letter's words out, each label through a translation function it is handed);
:mod:`~hanoix.letters.wording` reads the translation catalogues; :mod:`~hanoix.letters.typeset`
turns the words into a PDF/A-3 with Typst; :mod:`~hanoix.letters.attachment` is the embedded
document's format. This package knows the core and the wire format of a request only: no
store, use case or interface (contract ``letters`` in ``.importlinter``).
"""

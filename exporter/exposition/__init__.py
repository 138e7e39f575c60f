"""Everything between a listed page and the bytes a scrape writes.

The poll uses three things of it: `Reuse` (one source's render cache and last exposition:
`assembly()` to start a poll, `keep()` once it succeeded, `forget()` when its series go),
the `Assembly` it hands each page to, and the `Snapshot` it swaps the finished exposition
into; the web side asks the snapshot for prepared bodies. Inside: `render.py` (an item to
its text, only when its JSON changed), `assembly.py` (a page to a part: chunks held as gzip
and LZ4; a poll's parts to an exposition), `deflate.py` and `packing.py` (the two
compressions), `fingerprint.py` (is this JSON unchanged), `snapshot.py` (every source's
exposition, one version, and the bodies of a scrape) and `turns.py` (the event loop's turns
at CPU work).
"""

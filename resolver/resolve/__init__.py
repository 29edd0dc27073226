"""Resolve: a URL → its ``Resolution``, hop by hop, and where it lands named canonically.

In: a URL (as found, or a platform post's URL) and the HTTP seam (``resolver.net``); out: ``Resolution``
(``status``, ``final_url``, ``canonical_url``, ``hops``, ``error``, what the landing page says of itself).

* ``hops`` — ``resolve_url``: HTTP redirects, ``Refresh``, meta refresh, t.co's script page, interstitials,
  login walls; stops without a request at a platform's post URL;
* ``pages`` — what an HTML page says of itself (refresh, canonical, title, dates);
* ``dateworker`` — htmldate in a child process beside the run's event loop (``ResolveOptions.dates``);
* ``canonical`` — ``canonical_url``: the offline normal form with tracking removed, from ``rules`` (ClearURLs'
  data and the project's overlay, JavaScript regexes translated by ``jsregex``).

The package imports nothing itself: ``resolver.canonical_url`` must not load the HTTP client.
"""

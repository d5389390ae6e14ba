"""Open311 GeoReport v2 (ADR 0004): the views (``views``), the JSON and XML
answers (``format``), the public rows of many cases at once (``rows``) and
the routes (``urls``, every resource ending in .json or .xml)."""

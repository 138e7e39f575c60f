"""Generators for the project's own files, run by developers and checked by tests: the
README's metric reference (`reference.py`) and the Helm chart's values schema
(`settings_schema.py`). The running exporter never imports them."""

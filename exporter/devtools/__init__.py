"""Generators for the project's own files, run by developers and checked by tests: the
README's metric reference (`reference.py`), the Helm chart's values schema
(`settings_schema.py`) and the rules file with your runbook and dashboard links (`rules.py`).
The running exporter never imports them."""

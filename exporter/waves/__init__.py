"""Waves (DESIGN.md section 12): a stage after the polls that joins the lists of an account
(SMS tasks with their migration projects, OMS tasks with their task groups) and the waves of
the configuration into the wave families. `families.py` declares them (the catalogue reads
it); `membership.py` is the pure join; `stage.py` runs it after each poll."""

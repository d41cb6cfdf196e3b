"""The workflow's use cases: one function per thing the service does, over a unit of work (services/chassis/
database.py). Between the nameko entrypoints (service.py) and the rules (domain/): they read and write through
adapters/storage.py and record the events to publish; they know nothing of nameko or the broker.

Officer and citizen actions on a case: act.py, with one handler per action that has side effects in actions/.
"""

"""Review: how a case moves once it is handed in.

`transitions` is the one table of stages and acts; `timelimits` and `deadlines` count the working days of each
stage; `screening` compares a person against the watch lists; `checklists` are what an officer confirms before
an act; `dossier` is the officer's view of a case; `disclosure` decides who sees personal data and records
every look."""

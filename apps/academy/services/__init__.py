"""The academy's domain operations. Views, admin actions, consumers, tasks, commands and
imports all call these; each writes its ledger event in the same transaction."""

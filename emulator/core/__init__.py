"""The ground floor: settings, errors and their code table, state, clock, ids, snapshots, persistence, lifecycles, the journal."""

import IMDSCore

/// 2026-11-21T22:00:00Z, a fixed start for every test clock.
let testStart = Timestamp(secondsSinceEpoch: 1_795_298_400)

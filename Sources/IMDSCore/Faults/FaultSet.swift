/// The active fault rules, tried in order; counting rules are used up as they apply.
public struct FaultSet: Sendable {
    public private(set) var rules: [FaultRule] = []

    public init(_ rules: [FaultRule] = []) { self.rules = rules }

    /// The rule that applies to this request, if any, spending one of its uses.
    /// `draw` gives a number in 0..<1 for probabilistic rules.
    mutating func take(_ request: Request, collapsedPath: String, pathClass: PathClass, draw: () -> Double) -> FaultRule? {
        for i in rules.indices where rules[i].matches(request, collapsedPath: collapsedPath, pathClass: pathClass) {
            if let p = rules[i].probability, draw() >= p { continue }
            let rule = rules[i]
            if let left = rules[i].remaining {
                if left <= 1 { rules.remove(at: i) } else { rules[i].remaining = left - 1 }
            }
            return rule
        }
        return nil
    }
}

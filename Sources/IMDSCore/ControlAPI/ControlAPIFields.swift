/// Typed reads of control-API JSON fields, each failing with a message naming the field.
enum ControlAPIFields {
    static func int(_ v: JSONValue?, _ name: String, _ range: ClosedRange<Int>) throws(ControlAPIError) -> Int? {
        switch v {
        case nil: return nil
        case .int(let n)? where range.contains(n): return n
        default: throw ControlAPIError.badRequest("\(name) must be an integer in \(range.lowerBound)...\(range.upperBound)")
        }
    }

    static func bool(_ v: JSONValue?, _ name: String) throws(ControlAPIError) -> Bool? {
        switch v {
        case nil: return nil
        case .bool(let b)?: return b
        default: throw ControlAPIError.badRequest("\(name) must be true or false")
        }
    }

    static func string(_ v: JSONValue?, _ name: String) throws(ControlAPIError) -> String? {
        switch v {
        case nil: return nil
        case .string(let s)? where !s.isEmpty: return s
        default: throw ControlAPIError.badRequest("\(name) must be a non-empty string")
        }
    }
}

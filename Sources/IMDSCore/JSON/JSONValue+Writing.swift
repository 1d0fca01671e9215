extension JSONValue {
    /// The layout of IMDS documents: two-space indent, `"Key" : value`, no trailing newline.
    public var imdsPretty: String {
        var out = ""
        writePretty(into: &out, indent: "")
        return out
    }

    /// One line, no spaces: an access-log record.
    public var compact: String {
        var out = ""
        writeCompact(into: &out)
        return out
    }

    private func writePretty(into out: inout String, indent: String) {
        switch self {
        case .object(let members) where !members.isEmpty:
            let inner = indent + "  "
            out += "{\n"
            for (i, (key, value)) in members.enumerated() {
                out += inner
                JSONValue.writeString(key, into: &out)
                out += " : "
                value.writePretty(into: &out, indent: inner)
                out += i == members.count - 1 ? "\n" : ",\n"
            }
            out += indent + "}"
        case .array(let items) where !items.isEmpty:
            // Items stay on the array's line and at its indent: `[ {` … `} ]`, as EC2's
            // maintenance event lists are written.
            out += "[ "
            for (i, item) in items.enumerated() {
                if i > 0 { out += ", " }
                item.writePretty(into: &out, indent: indent)
            }
            out += " ]"
        default:
            writeCompact(into: &out)
        }
    }

    private func writeCompact(into out: inout String) {
        switch self {
        case .string(let s): JSONValue.writeString(s, into: &out)
        case .int(let n): out += String(n)
        case .double(let d): out += d.isFinite ? (d == d.rounded() && abs(d) < 1e15 ? String(Int(d)) : String(d)) : "null"
        case .bool(let b): out += b ? "true" : "false"
        case .null: out += "null"
        case .array(let items):
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += "," }
                item.writeCompact(into: &out)
            }
            out += "]"
        case .object(let members):
            out += "{"
            for (i, (key, value)) in members.enumerated() {
                if i > 0 { out += "," }
                JSONValue.writeString(key, into: &out)
                out += ":"
                value.writeCompact(into: &out)
            }
            out += "}"
        }
    }

    static func writeString(_ s: String, into out: inout String) {
        out += "\""
        // Nearly every string (keys, ids, tokens, paths) needs no escape: appended whole, it
        // costs a copy, not an append per scalar (the credential documents rendered at each
        // rotation took 1.8M instructions that way, a twentieth of the start).
        guard s.utf8.contains(where: Self.needsEscape) else {
            out += s
            out += "\""
            return
        }
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default:
                out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }

    private static func needsEscape(_ byte: UInt8) -> Bool {
        byte < 0x20 || byte == 0x7F || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\")
    }
}

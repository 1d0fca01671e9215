/// The shape a configuration value must have, checked scalar by scalar. These checks were
/// regular expressions run by Foundation (NSRegularExpression, and with it ICU); written out
/// as small functions they accept exactly the same texts without either, and each reads as
/// the rule it is. They look at Unicode scalars, as the expressions did, so lengths count
/// code points and a letter is an ASCII letter.
public struct ValueShape: Sendable {
    let accepts: @Sendable (Substring.UnicodeScalarView) -> Bool

    init(_ accepts: @escaping @Sendable (Substring.UnicodeScalarView) -> Bool) {
        self.accepts = accepts
    }

    /// Whether `text` has this shape. As the expressions' `$` did, it also lets one line break
    /// end the text after the value: a YAML block scalar (`key: |`) ends in one, and such
    /// files were accepted. The text itself is kept as it is.
    public func matches(_ text: String) -> Bool {
        let scalars = Substring(text).unicodeScalars
        if accepts(scalars) { return true }
        return Self.withoutFinalLineBreak(scalars).map(accepts) ?? false
    }

    /// The text before a final line break; CR LF counts as one, as ICU counted it.
    private static func withoutFinalLineBreak(_ s: Substring.UnicodeScalarView) -> Substring.UnicodeScalarView? {
        guard let last = s.last, last.isLineBreak else { return nil }
        let rest = s.dropLast()
        return last == "\n" && rest.last == "\r" ? rest.dropLast() : rest
    }

    /// Exactly one of `names`.
    static func oneOf(_ names: String...) -> ValueShape {
        ValueShape { s in names.contains { $0.unicodeScalars.elementsEqual(s) } }
    }
}

extension Substring.UnicodeScalarView {
    /// Only scalars that are `allowed`, as many as `count` says.
    func consists(of allowed: (Unicode.Scalar) -> Bool, count: some RangeExpression<Int>) -> Bool {
        count.contains(self.count) && allSatisfy(allowed)
    }

    /// What follows `prefix`, nil when the text does not start with it.
    func after(_ prefix: String) -> Substring.UnicodeScalarView? {
        starts(with: prefix.unicodeScalars) ? dropFirst(prefix.unicodeScalars.count) : nil
    }
}

/// The character classes of the expressions these checks replace.
extension Unicode.Scalar {
    /// `[0-9]`
    var isASCIIDigit: Bool { ("0"..."9").contains(self) }
    /// `[a-z]`
    var isASCIILowercase: Bool { ("a"..."z").contains(self) }
    /// `[A-Za-z0-9]`
    var isASCIILetterOrDigit: Bool { isASCIIDigit || isASCIILowercase || ("A"..."Z").contains(self) }
    /// `[0-9a-f]`: EC2 writes ids and MACs in lower case.
    var isLowercaseHexDigit: Bool { isASCIIDigit || ("a"..."f").contains(self) }
    /// `\s`: Unicode's White_Space, as ICU reads it.
    var isSpace: Bool { properties.isWhitespace }
    /// What ICU's `.` does not match and its `$` may stand before: LF, VT, FF, CR, NEL, LS, PS.
    var isLineBreak: Bool { ("\n"..."\r").contains(self) || self == "\u{85}" || self == "\u{2028}" || self == "\u{2029}" }

    /// `[A-Za-z0-9` and `symbols` `]`, as AWS names its allowed characters.
    func isLetterOrDigit(or symbols: String) -> Bool {
        isASCIILetterOrDigit || symbols.unicodeScalars.contains(self)
    }
}

extension StringProtocol {
    /// Every `old` replaced by `new`, scalar by scalar: a quote followed by a combining mark
    /// is still a quote to a shell, though a comparison of Characters (or Foundation's
    /// `replacingOccurrences`) would not find it there.
    public func replacingEvery(_ old: Unicode.Scalar, with new: String) -> String {
        var out = String.UnicodeScalarView()
        for scalar in String(self).unicodeScalars {
            if scalar == old {
                out.append(contentsOf: new.unicodeScalars)
            } else {
                out.append(scalar)
            }
        }
        return String(out)
    }
}

extension StringProtocol {
    /// Without white space or line breaks at either end: what Foundation's
    /// `trimmingCharacters(in: .whitespacesAndNewlines)` took off, which is Unicode's
    /// White_Space. Scalar by scalar, as Foundation did.
    public func trimmingWhitespace() -> String {
        trimming { $0.properties.isWhitespace }
    }

    /// Without spaces and tabs at either end, line breaks kept (a CR LF file's lines keep
    /// their CR): what `trimmingCharacters(in: .whitespaces)` took off, which is the tab and
    /// Unicode's space separators.
    public func trimmingBlanks() -> String {
        trimming { $0 == "\t" || $0.properties.generalCategory == .spaceSeparator }
    }

    private func trimming(_ drop: (Unicode.Scalar) -> Bool) -> String {
        let scalars = String(self).unicodeScalars
        guard let first = scalars.firstIndex(where: { !drop($0) }), let last = scalars.lastIndex(where: { !drop($0) }) else {
            return ""
        }
        return String(scalars[first...last])
    }
}

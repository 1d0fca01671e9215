/// Takes out of a helper program's output whatever may be a credential before it is shown.
/// Helpers (credential_process, mfa-command) print tokens, passwords and keys on stderr when
/// they fail, and that text would otherwise reach logs and the control API. Two rules, both
/// erring on the side of hiding: the value after a word such as `password`, `token`, `secret`
/// or `Bearer` (`token=…`, `password: …`), and any run of 16 or more credential characters
/// holding both letters and digits. Access key ids (`AKIA…`, `ASIA…`), which identify but do
/// not grant, stay, so the message still says which key failed.
public enum SecretScrubber {
    public static let mark = "[redacted]"

    private static let keywords = ["password", "passwd", "passphrase", "secret", "token", "key", "credential",
                                   "authorization", "bearer", "session", "pin", "otp", "cookie", "signature"]

    public static func scrub(_ text: String) -> String {
        var out: [String] = []
        var hideNext = false
        for word in text.split(separator: " ", omittingEmptySubsequences: false) {
            if hideNext && !word.isEmpty {
                out.append(isAccessKeyId(trimmed(word)) ? String(word) : mark)
                hideNext = false
                continue
            }
            let (scrubbed, announces) = scrubWord(word)
            out.append(scrubbed)
            if announces { hideNext = true }
        }
        return out.joined(separator: " ")
    }

    /// One word: `key=value` and `key:value` lose their value; a bare keyword (`password:`,
    /// `Bearer`) announces that the next word is a secret.
    private static func scrubWord(_ word: Substring) -> (String, Bool) {
        if let split = word.firstIndex(where: { $0 == "=" || $0 == ":" }), isKeyword(word[..<split]) {
            let value = word[word.index(after: split)...]
            if value.isEmpty { return (String(word), true) }
            return (String(word[...split]) + (isAccessKeyId(trimmed(value)) ? String(value) : mark), false)
        }
        if isKeyword(word) && ["bearer", "basic", "token", "password", "secret"].contains(trimmed(word).lowercased()) {
            return (String(word), true)
        }
        let core = trimmed(word)
        if core.count >= 16, !isAccessKeyId(core), core.allSatisfy(isCredentialCharacter),
           core.contains(where: \.isNumber), core.contains(where: \.isLetter) {
            return (String(word[..<core.startIndex]) + mark + String(word[core.endIndex...]), false)
        }
        return (String(word), false)
    }

    private static func isKeyword(_ word: Substring) -> Bool {
        let name = trimmed(word).lowercased()
        return keywords.contains { name == $0 || name.hasSuffix("_" + $0) || name.hasSuffix("-" + $0) || name.hasSuffix($0 + "s") }
    }

    private static func trimmed(_ word: Substring) -> Substring {
        let punctuation: Set<Character> = ["\"", "'", ",", ";", "(", ")", "[", "]", "{", "}", "<", ">", "`"]
        var w = word
        while let c = w.first, punctuation.contains(c) { w = w.dropFirst() }
        while let c = w.last, punctuation.contains(c) { w = w.dropLast() }
        return w
    }

    private static func isCredentialCharacter(_ c: Character) -> Bool {
        c.isASCII && (c.isLetter || c.isNumber || "+/=_-.~".contains(c))
    }

    private static func isAccessKeyId(_ s: Substring) -> Bool {
        s.count == 20 && (s.hasPrefix("AKIA") || s.hasPrefix("ASIA"))
            && s.allSatisfy { $0.isASCII && ($0.isUppercase || $0.isNumber) }
    }
}

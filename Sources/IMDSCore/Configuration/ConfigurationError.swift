/// A configuration value that cannot be used. Printed as one line that names the key and
/// says what would be valid; the process then exits with status 2.
public struct ConfigurationError: Error, Equatable, CustomStringConvertible {
    public var key: String
    public var problem: String

    public init(key: String, _ problem: String) {
        self.key = key
        self.problem = problem
    }

    public var description: String { "\(key): \(problem)" }
}

/// Counts one listener's open connections and decides, at accept, whether a new one may
/// stay: at most `limit` in all and `perClientLimit` from one address, so that one client
/// (a slowloris attack, a runaway process) cannot take every slot.
struct ConnectionGate {
    let limit: Int
    let perClientLimit: Int
    private(set) var open = 0
    private(set) var refused = 0
    private var openByClient: [PeerAddress: Int] = [:]

    init(limit: Int, perClientLimit: Int) {
        self.limit = limit
        self.perClientLimit = perClientLimit
    }

    /// Nil when the connection may stay (it is then counted until `closed`), else why not.
    mutating func admit(_ client: PeerAddress) -> String? {
        guard open < limit else {
            refused += 1
            return "max-connections (\(limit)) reached"
        }
        // One hash and one probe, counting in place: this runs for every connection.
        guard Self.count(&openByClient[client, default: 0], below: perClientLimit) else {
            refused += 1
            return "max-connections-per-client (\(perClientLimit)) reached for \(client.text)"
        }
        open += 1
        return nil
    }

    mutating func closed(_ client: PeerAddress) {
        open -= 1
        guard let slot = openByClient.index(forKey: client) else { return }
        if openByClient.values[slot] > 1 {
            openByClient.values[slot] -= 1
        } else {
            openByClient.remove(at: slot)
        }
    }

    /// Adds one to `open` unless it has reached `limit`; true when it did.
    private static func count(_ open: inout Int, below limit: Int) -> Bool {
        guard open < limit else { return false }
        open += 1
        return true
    }
}

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
        let clientOpen = openByClient[client, default: 0]
        guard clientOpen < perClientLimit else {
            refused += 1
            return "max-connections-per-client (\(perClientLimit)) reached for \(client.text)"
        }
        open += 1
        openByClient[client] = clientOpen + 1
        return nil
    }

    mutating func closed(_ client: PeerAddress) {
        open -= 1
        let left = openByClient[client, default: 1] - 1
        openByClient[client] = left > 0 ? left : nil
    }
}

/// Whether a new connection is read at once or only when the loop says it is readable.
///
/// A client on its own (an SDK asking now and then) has its request on the socket by the time
/// the connection is accepted, and reading at once serves it without registering the socket
/// with epoll at all. Under load, connections are accepted as soon as their handshake ends,
/// before their clients get to send (until `DeferAcceptPolicy` has the kernel hold them for
/// their requests), and reading at once only comes back empty (EAGAIN): a wasted system call
/// per connection, on top of the registration it then needs anyway. So
/// connections are read at once while that mostly finds a request, and registered first while
/// it mostly finds nothing; one in eight is still tried at once, to notice the load falling.
struct FirstReadPolicy {
    /// Recent empty first reads, less recent full ones, within 0...8.
    private var misses = 0
    private var accepted = 0

    mutating func readAtOnce() -> Bool {
        accepted &+= 1
        return misses < 4 || accepted & 7 == 0
    }

    /// What a first read tried at once found.
    mutating func record(foundRequest: Bool) {
        misses = foundRequest ? max(0, misses - 1) : min(8, misses + 1)
    }
}

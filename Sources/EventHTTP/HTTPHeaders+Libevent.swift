import CLibevent
import IMDSCore

extension HTTPHeaders {
    /// Copies a libevent header list, in order.
    init(_ list: UnsafeMutablePointer<evkeyvalq>?) {
        self.init()
        guard let list else { return }
        var field = imds_headers_first(list)
        while let f = field {
            if let key = f.pointee.key, let value = f.pointee.value {
                add(String(cString: key), String(cString: value))
            }
            field = imds_headers_next(f)
        }
    }
}

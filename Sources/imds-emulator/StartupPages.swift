import Glibc

/// Most of the pages a fresh process has resident were touched once, by start-up alone: the
/// dynamic linker's pass over every library, swift-argument-parser's reflection over the
/// options, the configuration checks, the Swift runtime's scans of conformance records, and
/// the kernel's fault-around mapping 64 KiB for every page touched. Serving a request needs
/// about half of them. Once the server is up, the pages of files it maps are handed back with
/// `MADV_PAGEOUT`, and the ones a request needs fault in again on their next use, so the
/// process keeps what it works with rather than what it started with. `MADV_RANDOM` keeps
/// those faults from reading the rest of the file around them back in.
///
/// Only mappings of files that hold no private copy of a page are advised: those pages are
/// clean copies of the file, so paging them out loses nothing and writes nothing, even where
/// swap exists. Relocated data and everything the process allocated stay as they are. Pages
/// that another process maps too (the C library, most often) the kernel leaves in place.
enum StartupPages {
    /// When to hand the pages back: a second after the listeners open, and once more a second
    /// after the first request answered after that. A first request does one-time work of its
    /// own (the metadata tree is built on first use, first-time runtime lookups), and a
    /// sidecar's first client often comes after the first second.
    struct Schedule {
        static let delay = 1.0
        private let opened: Double
        private var releases = 0
        private var answeredAtRelease = 0
        private var firstAnsweredSeen: Double?

        init(opened: Double) {
            self.opened = opened
        }

        /// Both releases made: nothing is left to schedule.
        var finished: Bool { releases == 2 }

        /// True when the pages are to be handed back now, given the time and the number of
        /// requests answered so far.
        mutating func isDue(now: Double, answered: Int) -> Bool {
            switch releases {
            case 0 where now - opened >= Self.delay:
                releases = 1
                answeredAtRelease = answered
                return true
            case 1:
                guard let seen = firstAnsweredSeen else {
                    if answered > answeredAtRelease { firstAnsweredSeen = now }
                    return false
                }
                guard now - seen >= Self.delay else { return false }
                releases = 2
                return true
            default:
                return false
            }
        }
    }

    struct Release {
        var mappings = 0
        var residentKiB = 0
    }

    /// Advises every clean file mapping of this process and says how much was resident in
    /// them; nil when `/proc/self/smaps` cannot be read.
    static func release() -> Release? {
        let fd = open("/proc/self/smaps", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        guard let bytes = try? SecureFile.readAll(fd, "/proc/self/smaps", key: "smaps", limit: 16 << 20) else { return nil }
        var release = Release()
        for mapping in cleanFileMappings(bytes) {
            guard let start = UnsafeMutableRawPointer(bitPattern: mapping.start) else { continue }
            let length = Int(mapping.end - mapping.start)
            _ = madvise(start, length, MADV_RANDOM)
            if madvise(start, length, MADV_PAGEOUT) == 0 {
                release.mappings += 1
                release.residentKiB += mapping.residentKiB
            }
        }
        return release
    }

    struct Mapping {
        var start: UInt
        var end: UInt
        var residentKiB: Int
    }

    /// The mappings of `smaps` that are backed by a file, not writable, and hold no anonymous
    /// (private, modified) page. Read as bytes: the file has some 2,500 lines, and splitting
    /// them as Strings, by Character, cost some 100 million instructions.
    static func cleanFileMappings(_ smaps: [UInt8]) -> [Mapping] {
        var found: [Mapping] = []
        var current: Mapping?
        var anonymous = 0
        func finish() {
            if let mapping = current, anonymous == 0, mapping.residentKiB > 0 { found.append(mapping) }
            current = nil
        }
        for line in smaps.split(separator: UInt8(ascii: "\n")) {
            let fields = line.split(separator: UInt8(ascii: " "))
            guard let first = fields.first else { continue }
            if first.last == UInt8(ascii: ":") {
                guard current != nil, fields.count >= 2 else { continue }
                if first.elementsEqual("Rss:".utf8) { current?.residentKiB = number(fields[1]) ?? 0 }
                if first.elementsEqual("Anonymous:".utf8) { anonymous = number(fields[1]) ?? 1 }
                continue
            }
            finish()
            // start-end perms offset device inode path
            let range = first.split(separator: UInt8(ascii: "-"))
            guard fields.count >= 6, range.count == 2,
                  let start = number(range[0], radix: 16), let end = number(range[1], radix: 16), end > start,
                  !fields[1].contains(UInt8(ascii: "w")), fields[5].first == UInt8(ascii: "/") else { continue }
            current = Mapping(start: UInt(start), end: UInt(end), residentKiB: 0)
            anonymous = 0
        }
        finish()
        return found
    }

    private static func number(_ digits: ArraySlice<UInt8>, radix: Int = 10) -> Int? {
        Int(String(decoding: digits, as: UTF8.self), radix: radix)
    }
}

/// Socket address families by the names profiles use (`allowed_socket_families`).
public enum SocketFamily {
    /// Each family's name (its `AF_` constant in lowercase, without `AF_`) and number, as in
    /// Linux's include/linux/socket.h. Families numbered ``limit`` or above are always denied.
    public static let numbers: [String: Int] = [
        "unspec": 0, "unix": 1, "inet": 2, "ax25": 3, "ipx": 4, "appletalk": 5, "netrom": 6, "bridge": 7,
        "atmpvc": 8, "x25": 9, "inet6": 10, "rose": 11, "decnet": 12, "netbeui": 13, "security": 14, "key": 15,
        "netlink": 16, "packet": 17, "ash": 18, "econet": 19, "atmsvc": 20, "rds": 21, "sna": 22, "irda": 23,
        "pppox": 24, "wanpipe": 25, "llc": 26, "ib": 27, "mpls": 28, "can": 29, "tipc": 30, "bluetooth": 31,
        "iucv": 32, "rxrpc": 33, "isdn": 34, "phonet": 35, "ieee802154": 36, "caif": 37, "alg": 38, "nfc": 39,
        "vsock": 40, "kcm": 41, "qipcrtr": 42, "smc": 43, "xdp": 44, "mctp": 45,
    ]

    /// One more than the highest family number above (AF_MAX of Linux 6.x).
    public static let limit = 46

    /// The family numbers below ``limit`` that `allowed` (valid names) leaves out, ascending.
    public static func denied(allowing allowed: [String]) -> [Int] {
        let open = Set(allowed.compactMap { numbers[$0] })
        return (0..<limit).filter { !open.contains($0) }
    }
}

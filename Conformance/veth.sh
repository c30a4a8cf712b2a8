# A veth pair for the live tests and benchmarks (sourced): `veth_up A B` creates A <-> B,
# without IPv6 (the kernel's own neighbour discovery would add packets) and with a large MTU
# (frames with VLAN, QinQ or MPLS headers exceed 1,514 bytes); `veth_down A` removes it.
# `veth_usable` says whether this machine can (root, tcpreplay, iproute2).
veth_usable() {
    [ "$(id -u)" = 0 ] && command -v tcpreplay > /dev/null && command -v ip > /dev/null
}

veth_up() {
    ip link del "$1" 2> /dev/null || true
    ip link add "$1" type veth peer name "$2"
    sysctl -qw "net.ipv6.conf.$1.disable_ipv6=1" "net.ipv6.conf.$2.disable_ipv6=1" || true
    ip link set "$1" mtu 9000 up
    ip link set "$2" mtu 9000 up
    sleep 1
}

veth_down() {
    ip link del "$1" 2> /dev/null || true
}

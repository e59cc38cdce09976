# Source this: podman's settings for fer-edge's builds (images/podman/containers.conf) and a
# storage folder of its own, FER_EDGE_PODMAN_DIR (default /var/tmp/fer-edge-podman), so the
# builds touch no other podman storage on the machine. Also where the API socket lives.
FER_EDGE_PODMAN_DIR="${FER_EDGE_PODMAN_DIR:-/var/tmp/fer-edge-podman}"
mkdir -p "$FER_EDGE_PODMAN_DIR"
export CONTAINERS_CONF="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/containers.conf"
export CONTAINERS_STORAGE_CONF="$FER_EDGE_PODMAN_DIR/storage.conf"
cat > "$CONTAINERS_STORAGE_CONF" <<CONF
[storage]
driver = "overlay"
graphroot = "$FER_EDGE_PODMAN_DIR/storage"
runroot = "$FER_EDGE_PODMAN_DIR/run"
CONF
export FER_EDGE_PODMAN_SOCKET="$FER_EDGE_PODMAN_DIR/podman.sock"

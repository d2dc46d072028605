/**
 * Node flags the capture proxy runs with (also in runtime/Dockerfile, and in the release executable's blob:
 * lib/capture-proxy/release/executable.ts).
 *
 * The proxy's live heap is ~10 MB, so V8 sets the old generation's limit near 26 MB; under
 * capture load the young generation grows to its 16 MB maximum, and V8, seeing too little room
 * to promote a full young generation, starts a full mark-compact every ~60 ms (114 in 10 s at
 * 16 _bulk connections: a third of the proxy's CPU). A 64 MB initial old space leaves that room:
 * no full GC in the same run, CPU per request 165-190 µs down to 65-90 µs. It is a limit,
 * not memory taken.
 */
export const CAPTURE_PROXY_NODE_FLAGS = ['--initial-old-space-size=64'];

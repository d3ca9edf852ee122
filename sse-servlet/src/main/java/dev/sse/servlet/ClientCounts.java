package dev.sse.servlet;

import dev.sse.core.http.StreamRules;
import jakarta.servlet.http.HttpServletRequest;
import java.security.Principal;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Live streams per client, for {@code maxConnectionsPerClient}: the client is the authenticated principal's name when
 * there is one, else the remote address. Exact: a stream takes its place in {@link #tryEnter} and gives it back once
 * in {@link #exit}, however it ends; a client with no live stream has no entry, so the map is never larger than the
 * streams.
 *
 * <h2>Threads</h2>
 * Container threads enter, any thread exits; each key's count changes atomically in the map's {@code compute}.
 */
final class ClientCounts {

    private final int max;
    private final ConcurrentHashMap<String, Integer> counts = new ConcurrentHashMap<>();

    /** @param max the most live streams per client, at least 1 */
    ClientCounts(int max) {
        this.max = max;
    }

    /**
     * The key a request is counted under. Principals and addresses are kept apart by a prefix, so a user named like
     * an address does not share its count.
     */
    static String key(HttpServletRequest req) {
        Principal principal = req.getUserPrincipal();
        return StreamRules.clientKey(principal == null ? null : principal.getName(), req.getRemoteAddr());
    }

    /** @return false, counting nothing, if the client has {@code max} live streams already */
    boolean tryEnter(String key) {
        boolean[] entered = new boolean[1];
        counts.compute(key, (k, n) -> {
            int now = n == null ? 0 : n;
            if (now >= max) {
                return n;
            }
            entered[0] = true;
            return now + 1;
        });
        return entered[0];
    }

    void exit(String key) {
        counts.computeIfPresent(key, (k, n) -> n <= 1 ? null : n - 1);
    }

    /** @return the client's live streams */
    int count(String key) {
        return counts.getOrDefault(key, 0);
    }
}

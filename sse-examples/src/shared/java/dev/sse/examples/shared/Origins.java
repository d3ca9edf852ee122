package dev.sse.examples.shared;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Arrays;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Which browser pages may send the demos' {@code POST}s (publishing, the chat), and their CORS answers. A request
 * without {@code Origin} (curl) is not cross-origin and is allowed; so is the server's own origin, but only under
 * {@code localhost} or an IP address: under any other name, Origin and Host could both be an attacker's page
 * rebound by DNS to this server, so such a name must be allowed explicitly, as any other origin. {@code *} allows
 * any. Immutable, thread-safe.
 */
public final class Origins {

    private final Set<String> allowed;

    private Origins(Set<String> allowed) {
        this.allowed = allowed;
    }

    /**
     * @param allowed origins other than the server's own, such as {@code https://app.example.com}, or {@code *}
     * @return the rules
     */
    public static Origins allowing(Set<String> allowed) {
        return new Origins(Set.copyOf(allowed));
    }

    /**
     * Parses a comma-separated list of origins; trailing slashes are dropped, since an Origin never has one.
     *
     * @param list the list, or {@code null}
     * @return the origins
     */
    public static Set<String> parse(String list) {
        if (list == null || list.isBlank()) {
            return Set.of();
        }
        return Arrays.stream(list.split(","))
                .map(String::trim)
                .filter(s -> !s.isEmpty())
                .map(s -> s.endsWith("/") ? s.substring(0, s.length() - 1) : s)
                .collect(Collectors.toUnmodifiableSet());
    }

    /**
     * @param req the request
     * @param origin its {@code Origin} header
     * @return whether a page of that origin may send the request
     */
    public boolean allowed(HttpServletRequest req, String origin) {
        if (allowed.contains(origin) || allowed.contains("*")) {
            return true;
        }
        // "null" (a sandboxed frame, a file: page) never equals the server's origin and so stays refused.
        String scheme = req.getScheme();
        String host = req.getServerName();
        int port = req.getServerPort();
        boolean defaultPort = (port == 80 && "http".equals(scheme)) || (port == 443 && "https".equals(scheme));
        String self = scheme + "://" + host + (defaultPort ? "" : ":" + port);
        return origin.equalsIgnoreCase(self) && unrebindable(host);
    }

    /**
     * @param host a Host name
     * @return whether no one else can point the name at this server: {@code localhost} or an IP address
     */
    public static boolean unrebindable(String host) {
        String h = host.toLowerCase(Locale.ROOT);
        return h.equals("localhost") || h.startsWith("[")
                || h.matches("[0-9]{1,3}(\\.[0-9]{1,3}){3}") || h.indexOf(':') >= 0;
    }

    /**
     * Admits a {@code POST}: for an allowed origin sets {@code Access-Control-Allow-Origin}; for any other answers
     * {@code 403} with {@code {"error":"origin ... may not <what> here"}}.
     *
     * @param req the request
     * @param resp its response
     * @param what the action refused, e.g. {@code publish}
     * @return whether the request may go on; {@code false} once answered
     * @throws IOException if the answer could not be written
     */
    public boolean admit(HttpServletRequest req, HttpServletResponse resp, String what) throws IOException {
        String origin = req.getHeader("Origin");
        if (origin == null) {
            return true;
        }
        resp.addHeader("Vary", "Origin");
        if (!allowed(req, origin)) {
            RequestBodies.json(resp, 403, Json.error(refusal(origin, what), null));
            return false;
        }
        resp.setHeader("Access-Control-Allow-Origin", origin);
        return true;
    }

    /**
     * Answers a {@code POST} preflight: {@code 204} for no or an allowed origin (with the CORS headers for the
     * latter), {@code 403} with JSON for any other.
     *
     * @param req the {@code OPTIONS} request
     * @param resp its response
     * @param allow the {@code Allow} header's value
     * @param what the action refused, e.g. {@code publish}
     * @throws IOException if the answer could not be written
     */
    public void preflight(HttpServletRequest req, HttpServletResponse resp, String allow, String what)
            throws IOException {
        String origin = req.getHeader("Origin");
        resp.addHeader("Vary", "Origin");
        resp.setHeader("Allow", allow);
        if (origin == null) {
            resp.setStatus(HttpServletResponse.SC_NO_CONTENT);
            return;
        }
        if (!allowed(req, origin)) {
            RequestBodies.json(resp, 403, Json.error(refusal(origin, what), null));
            return;
        }
        resp.setHeader("Access-Control-Allow-Origin", origin);
        resp.setHeader("Access-Control-Allow-Methods", "POST");
        String headers = req.getHeader("Access-Control-Request-Headers");
        if (headers != null && !headers.isBlank()) {
            resp.setHeader("Access-Control-Allow-Headers", headers);
        }
        resp.setHeader("Access-Control-Max-Age", "600");
        resp.setStatus(HttpServletResponse.SC_NO_CONTENT);
    }

    private static String refusal(String origin, String what) {
        return "origin " + origin + " may not " + what + " here";
    }
}

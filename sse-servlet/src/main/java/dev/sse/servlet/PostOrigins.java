package dev.sse.servlet;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Locale;
import java.util.Set;

/**
 * Which browser pages may send a {@code POST} that changes something (a publication, a prompt), and their CORS
 * answers. Stricter than a stream's {@link Cors}, since a write is what a cross-site page wants: a request without
 * {@code Origin} (curl, a server) is not cross-origin and is allowed; so is an origin listed, or {@code *}; so is the
 * server's own origin, which is the configured {@code publicOrigin} when there is one, else the request's own but
 * only under {@code localhost} or an IP address: under any other name, {@code Origin} and {@code Host} could both be
 * an attacker's page rebound by DNS to this server, so such a name must be listed (or be the {@code publicOrigin}).
 * Immutable, thread-safe.
 */
final class PostOrigins {

    private final Set<String> allowed;
    private final boolean credentials;
    private final String publicOrigin;

    PostOrigins(Set<String> allowed, boolean credentials, String publicOrigin) {
        this.allowed = Set.copyOf(allowed);
        this.credentials = credentials;
        this.publicOrigin = publicOrigin;
    }

    boolean allowed(HttpServletRequest req, String origin) {
        if (allowed.contains(origin) || allowed.contains("*")) {
            return true;
        }
        if (publicOrigin != null) {
            return origin.equalsIgnoreCase(publicOrigin);
        }
        // "null" (a sandboxed frame, a file: page) never equals the server's origin and so stays refused.
        String scheme = req.getScheme();
        String host = req.getServerName();
        int port = req.getServerPort();
        boolean defaultPort = (port == 80 && "http".equals(scheme)) || (port == 443 && "https".equals(scheme));
        String self = scheme + "://" + host + (defaultPort ? "" : ":" + port);
        return origin.equalsIgnoreCase(self) && unrebindable(host);
    }

    /** @return whether no one else can point the name at this server: {@code localhost} or an IP address */
    static boolean unrebindable(String host) {
        String h = host.toLowerCase(Locale.ROOT);
        return h.equals("localhost") || h.startsWith("[")
                || h.matches("[0-9]{1,3}(\\.[0-9]{1,3}){3}") || h.indexOf(':') >= 0;
    }

    /**
     * Admits a {@code POST}: for an allowed origin sets {@code Access-Control-Allow-Origin}; for any other answers
     * {@code 403} with {@code {"error":"origin ... may not <what> here"}}.
     *
     * @return whether the request may go on; {@code false} once answered
     */
    boolean admit(HttpServletRequest req, HttpServletResponse resp, String what) throws IOException {
        String origin = req.getHeader("Origin");
        if (origin == null) {
            return true;
        }
        resp.addHeader("Vary", "Origin");
        if (!allowed(req, origin)) {
            ErrorResponse.json(resp, HttpServletResponse.SC_FORBIDDEN, ErrorResponse.error(refusal(origin, what), null));
            return false;
        }
        allowOrigin(resp, origin);
        return true;
    }

    /**
     * Answers a {@code POST} preflight: {@code 204} for no or an allowed origin (with the CORS headers for the latter,
     * echoing the headers asked for), {@code 403} with JSON for any other.
     */
    void preflight(HttpServletRequest req, HttpServletResponse resp, String allow, String what) throws IOException {
        String origin = req.getHeader("Origin");
        resp.addHeader("Vary", "Origin");
        resp.setHeader("Allow", allow);
        if (origin == null) {
            resp.setStatus(HttpServletResponse.SC_NO_CONTENT);
            return;
        }
        if (!allowed(req, origin)) {
            ErrorResponse.json(resp, HttpServletResponse.SC_FORBIDDEN, ErrorResponse.error(refusal(origin, what), null));
            return;
        }
        allowOrigin(resp, origin);
        resp.setHeader("Access-Control-Allow-Methods", "POST");
        String headers = req.getHeader("Access-Control-Request-Headers");
        if (headers != null && !headers.isBlank()) {
            resp.setHeader("Access-Control-Allow-Headers", headers);
        }
        resp.setHeader("Access-Control-Max-Age", "600");
        resp.setStatus(HttpServletResponse.SC_NO_CONTENT);
    }

    private void allowOrigin(HttpServletResponse resp, String origin) {
        resp.setHeader("Access-Control-Allow-Origin", origin);
        if (credentials) {
            resp.setHeader("Access-Control-Allow-Credentials", "true");
        }
    }

    private static String refusal(String origin, String what) {
        return "origin " + origin + " may not " + what + " here";
    }
}

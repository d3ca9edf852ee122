package dev.sse.servlet;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Cross-origin rules of one servlet: which origins may open a stream, the preflight answer, and the headers on an
 * allowed response. Immutable; any thread.
 *
 * <p>A request without {@code Origin} (same origin, or not a browser) is allowed. The server's own origin is allowed:
 * the configured {@code publicOrigin} when set; otherwise derived from the request's scheme, host and port, which a
 * DNS-rebinding attacker controls through the {@code Host} header, so set {@code publicOrigin} when streams carry
 * anything private.
 */
final class Cors {

    private static final Logger LOG = LoggerFactory.getLogger(Cors.class);
    static final String METHODS = "GET, HEAD";

    private final Set<String> allowedOrigins;
    private final boolean credentials;
    private final String publicOrigin;
    /** Lower-case names a preflight may ask for. */
    private final Set<String> allowedHeaders;
    private final String allowedHeadersValue;

    Cors(Settings s) {
        this.allowedOrigins = s.allowedOrigins;
        this.credentials = s.allowCredentials;
        this.publicOrigin = s.publicOrigin;
        Set<String> headers = new LinkedHashSet<>();
        headers.add("Last-Event-ID");
        headers.addAll(s.allowedHeaders);
        Set<String> lower = new LinkedHashSet<>();
        for (String h : headers) {
            lower.add(h.toLowerCase(Locale.ROOT));
        }
        this.allowedHeaders = Set.copyOf(lower);
        this.allowedHeadersValue = String.join(", ", headers);
    }

    /** @return false if the request was refused with 403 */
    boolean admit(HttpServletRequest req, HttpServletResponse resp) {
        String origin = req.getHeader("Origin");
        resp.addHeader("Vary", "Origin");
        if (origin == null) {
            return true;
        }
        if (!allowed(req, origin)) {
            LOG.debug("stream refused for origin {}", origin);
            ErrorResponse.send(resp, HttpServletResponse.SC_FORBIDDEN, "Origin", "origin " + origin + " is not allowed");
            return false;
        }
        allowOrigin(resp, origin);
        return true;
    }

    /** Answers an {@code OPTIONS} request: a CORS preflight, or a plain one. */
    void preflight(HttpServletRequest req, HttpServletResponse resp) {
        String origin = req.getHeader("Origin");
        String method = req.getHeader("Access-Control-Request-Method");
        if (origin == null || method == null) {
            resp.setStatus(HttpServletResponse.SC_NO_CONTENT);
            return;
        }
        resp.addHeader("Vary", "Origin");
        String refused = null;
        if (!allowed(req, origin)) {
            refused = "origin " + origin + " is not allowed";
        } else if (!(method.equals("GET") || method.equals("HEAD"))) {
            refused = "method " + method + " is not allowed";
        } else {
            String asked = req.getHeader("Access-Control-Request-Headers");
            if (asked != null) {
                for (String h : asked.split(",")) {
                    String name = h.trim().toLowerCase(Locale.ROOT);
                    if (!name.isEmpty() && !allowedHeaders.contains(name)) {
                        refused = "header " + h.trim() + " is not allowed";
                        break;
                    }
                }
            }
        }
        if (refused != null) {
            LOG.debug("CORS preflight refused: {}", refused);
            ErrorResponse.send(resp, HttpServletResponse.SC_FORBIDDEN, "Origin", refused);
            return;
        }
        allowOrigin(resp, origin);
        resp.setHeader("Access-Control-Allow-Methods", METHODS);
        resp.setHeader("Access-Control-Allow-Headers", allowedHeadersValue);
        resp.setHeader("Access-Control-Max-Age", "600");
        resp.setStatus(HttpServletResponse.SC_NO_CONTENT);
    }

    private void allowOrigin(HttpServletResponse resp, String origin) {
        // Echo, never "*": a credentialed request would be refused by the browser otherwise.
        resp.setHeader("Access-Control-Allow-Origin", origin);
        if (credentials) {
            resp.setHeader("Access-Control-Allow-Credentials", "true");
        }
    }

    private boolean allowed(HttpServletRequest req, String origin) {
        if (allowedOrigins.contains(origin) || allowedOrigins.contains("*")) {
            return true;
        }
        return origin.equalsIgnoreCase(publicOrigin != null ? publicOrigin : requestOrigin(req));
    }

    private static String requestOrigin(HttpServletRequest req) {
        String scheme = req.getScheme();
        int port = req.getServerPort();
        boolean defaultPort = (port == 80 && "http".equals(scheme)) || (port == 443 && "https".equals(scheme));
        String self = scheme + "://" + req.getServerName();
        return defaultPort ? self : self + ":" + port;
    }
}

package dev.sse.webflux;

import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpHeaders;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.web.reactive.function.server.ServerRequest;
import org.springframework.web.reactive.function.server.ServerResponse;
import reactor.core.publisher.Mono;

/**
 * Cross-origin rules of one stream endpoint, as {@code SseServlet}'s: which origins may open a stream, the preflight
 * answer, and the headers on an allowed response. No {@code Origin} is allowed; so is the server's own origin
 * ({@code publicOrigin} when set, else derived from the request). Immutable; any thread.
 */
final class StreamCors {

    private static final Logger LOG = LoggerFactory.getLogger(StreamCors.class);
    private static final String METHODS = "GET, HEAD";

    private final Set<String> allowedOrigins;
    private final boolean credentials;
    private final String publicOrigin;
    private final Set<String> allowedHeaders;
    private final String allowedHeadersValue;

    StreamCors(StreamSettings s) {
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

    /** @return a 403 answer for a stream request from an origin that may not listen, else empty (headers set) */
    Mono<ServerResponse> refusal(ServerRequest request) {
        String origin = request.headers().firstHeader(HttpHeaders.ORIGIN);
        HttpHeaders out = request.exchange().getResponse().getHeaders();
        out.add(HttpHeaders.VARY, "Origin");
        if (origin == null) {
            return null;
        }
        if (!allowed(request.exchange().getRequest(), origin)) {
            LOG.debug("stream refused for origin {}", origin);
            return ErrorJson.response(403, "Origin", "origin " + origin + " is not allowed");
        }
        allowOrigin(out, origin);
        return null;
    }

    Mono<ServerResponse> preflight(ServerRequest request) {
        String origin = request.headers().firstHeader(HttpHeaders.ORIGIN);
        String method = request.headers().firstHeader(HttpHeaders.ACCESS_CONTROL_REQUEST_METHOD);
        if (origin == null || method == null) {
            return ServerResponse.noContent().build();
        }
        HttpHeaders out = request.exchange().getResponse().getHeaders();
        out.add(HttpHeaders.VARY, "Origin");
        String refused = null;
        if (!allowed(request.exchange().getRequest(), origin)) {
            refused = "origin " + origin + " is not allowed";
        } else if (!(method.equals("GET") || method.equals("HEAD"))) {
            refused = "method " + method + " is not allowed";
        } else {
            String asked = request.headers().firstHeader(HttpHeaders.ACCESS_CONTROL_REQUEST_HEADERS);
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
            return ErrorJson.response(403, "Origin", refused);
        }
        allowOrigin(out, origin);
        out.set(HttpHeaders.ACCESS_CONTROL_ALLOW_METHODS, METHODS);
        out.set(HttpHeaders.ACCESS_CONTROL_ALLOW_HEADERS, allowedHeadersValue);
        out.set(HttpHeaders.ACCESS_CONTROL_MAX_AGE, "600");
        return ServerResponse.noContent().build();
    }

    private void allowOrigin(HttpHeaders out, String origin) {
        // Echo, never "*": a credentialed request would be refused by the browser otherwise.
        out.set(HttpHeaders.ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        if (credentials) {
            out.set(HttpHeaders.ACCESS_CONTROL_ALLOW_CREDENTIALS, "true");
        }
    }

    private boolean allowed(ServerHttpRequest req, String origin) {
        if (allowedOrigins.contains(origin) || allowedOrigins.contains("*")) {
            return true;
        }
        if (publicOrigin != null) {
            return origin.equalsIgnoreCase(publicOrigin);
        }
        java.net.URI uri = req.getURI();
        String scheme = uri.getScheme() == null ? "http" : uri.getScheme();
        int port = uri.getPort() < 0 ? ("https".equals(scheme) ? 443 : 80) : uri.getPort();
        boolean defaultPort = (port == 80 && "http".equals(scheme)) || (port == 443 && "https".equals(scheme));
        String self = scheme + "://" + uri.getHost() + (defaultPort ? "" : ":" + port);
        return origin.equalsIgnoreCase(self);
    }
}

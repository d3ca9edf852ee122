package dev.sse.webflux;

import java.net.InetSocketAddress;
import java.net.URI;
import java.util.Locale;
import java.util.Set;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.web.reactive.function.server.ServerResponse;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;

/** Which pages may {@code POST} (publish, chat): {@code SseServlet}'s origin rules, on a WebFlux exchange. */
final class PostOrigins {

    private final Set<String> allowed;
    private final boolean credentials;
    private final String publicOrigin;

    PostOrigins(Set<String> allowed, boolean credentials, String publicOrigin) {
        this.allowed = Set.copyOf(allowed);
        this.credentials = credentials;
        this.publicOrigin = publicOrigin;
    }

    boolean allowed(ServerHttpRequest req, String origin) {
        if (allowed.contains(origin) || allowed.contains("*")) {
            return true;
        }
        if (publicOrigin != null) {
            return origin.equalsIgnoreCase(publicOrigin);
        }
        // "null" (a sandboxed frame, a file: page) never equals the server's origin and so stays refused.
        URI uri = req.getURI();
        String scheme = uri.getScheme() == null ? "http" : uri.getScheme();
        String host = uri.getHost();
        int port = uri.getPort();
        if (host == null) {
            InetSocketAddress local = req.getLocalAddress();
            if (local == null) {
                return false;
            }
            host = local.getHostString();
            port = local.getPort();
        }
        if (port < 0) {
            port = "https".equals(scheme) ? 443 : 80;
        }
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

    /** @return {@code null} to let the {@code POST} go on (with the CORS headers set), else the refusal's text */
    String admit(ServerWebExchange exchange, String what) {
        String origin = exchange.getRequest().getHeaders().getOrigin();
        if (origin == null) {
            return null;
        }
        HttpHeaders out = exchange.getResponse().getHeaders();
        out.add(HttpHeaders.VARY, "Origin");
        if (!allowed(exchange.getRequest(), origin)) {
            return refusal(origin, what);
        }
        allowOrigin(out, origin);
        return null;
    }

    Mono<ServerResponse> preflight(ServerWebExchange exchange, String allow, String what) {
        ServerHttpRequest req = exchange.getRequest();
        String origin = req.getHeaders().getOrigin();
        // Set on the exchange itself: a ServerResponse adds its own headers only where the exchange has none.
        HttpHeaders out = exchange.getResponse().getHeaders();
        out.add(HttpHeaders.VARY, "Origin");
        out.set(HttpHeaders.ALLOW, allow);
        if (origin == null) {
            return ServerResponse.noContent().build();
        }
        if (!allowed(req, origin)) {
            return ErrorJson.response(HttpStatus.FORBIDDEN.value(), null, refusal(origin, what));
        }
        allowOrigin(out, origin);
        out.set(HttpHeaders.ACCESS_CONTROL_ALLOW_METHODS, "POST");
        String headers = req.getHeaders().getFirst(HttpHeaders.ACCESS_CONTROL_REQUEST_HEADERS);
        if (headers != null && !headers.isBlank()) {
            out.set(HttpHeaders.ACCESS_CONTROL_ALLOW_HEADERS, headers);
        }
        out.set(HttpHeaders.ACCESS_CONTROL_MAX_AGE, "600");
        return ServerResponse.noContent().build();
    }

    private void allowOrigin(HttpHeaders out, String origin) {
        out.set(HttpHeaders.ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        if (credentials) {
            out.set(HttpHeaders.ACCESS_CONTROL_ALLOW_CREDENTIALS, "true");
        }
    }

    private static String refusal(String origin, String what) {
        return "origin " + origin + " may not " + what + " here";
    }
}

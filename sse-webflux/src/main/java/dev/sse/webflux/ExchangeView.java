package dev.sse.webflux;

import dev.sse.core.http.RequestView;
import java.net.InetSocketAddress;
import java.net.URI;
import org.springframework.http.server.reactive.ServerHttpRequest;

/** A WebFlux request as the shared HTTP rules ({@code dev.sse.core.http}) read it. */
final class ExchangeView implements RequestView {

    private final ServerHttpRequest request;

    ExchangeView(ServerHttpRequest request) {
        this.request = request;
    }

    @Override
    public String method() {
        return request.getMethod().name();
    }

    @Override
    public String rawQuery() {
        return request.getURI().getRawQuery();
    }

    @Override
    public String header(String name) {
        return request.getHeaders().getFirst(name);
    }

    @Override
    public String remoteAddress() {
        InetSocketAddress remote = request.getRemoteAddress();
        return remote == null ? "unknown" : remote.getAddress() == null ? remote.getHostString()
                : remote.getAddress().getHostAddress();
    }

    @Override
    public String scheme() {
        String scheme = request.getURI().getScheme();
        return scheme == null ? "http" : scheme;
    }

    @Override
    public String host() {
        URI uri = request.getURI();
        if (uri.getHost() != null) {
            return uri.getHost();
        }
        InetSocketAddress local = request.getLocalAddress();
        return local == null ? "localhost" : local.getHostString();
    }

    @Override
    public int port() {
        int port = request.getURI().getPort();
        if (port >= 0) {
            return port;
        }
        return "https".equals(scheme()) ? 443 : 80;
    }
}

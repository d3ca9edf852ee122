package dev.sse.examples.vertx;

import dev.sse.core.http.RequestView;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.HostAndPort;
import io.vertx.ext.web.RoutingContext;

/** The chat route's request as the runtime-neutral rules read it. */
final class VertxView implements RequestView {

    private final HttpServerRequest request;

    VertxView(RoutingContext rc) {
        this.request = rc.request();
    }

    @Override
    public String method() {
        return request.method().name();
    }

    @Override
    public String rawQuery() {
        return request.query();
    }

    @Override
    public String header(String name) {
        return request.getHeader(name);
    }

    @Override
    public String remoteAddress() {
        return request.remoteAddress() == null ? "" : request.remoteAddress().hostAddress();
    }

    @Override
    public String scheme() {
        return request.scheme() == null ? "http" : request.scheme();
    }

    @Override
    public String host() {
        HostAndPort authority = request.authority();
        return authority == null ? "localhost" : authority.host();
    }

    @Override
    public int port() {
        HostAndPort authority = request.authority();
        if (authority == null || authority.port() <= 0) {
            return "https".equals(scheme()) ? 443 : 80;
        }
        return authority.port();
    }
}

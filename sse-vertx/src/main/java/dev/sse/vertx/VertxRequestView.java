package dev.sse.vertx;

import dev.sse.core.http.RequestView;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.HostAndPort;
import io.vertx.core.net.SocketAddress;

/**
 * A Vert.x request as the runtime-neutral HTTP rules of {@code dev.sse.core.http} read it: for an application's own
 * routes that answer by those rules (origins, preflights, body limits), as the adapter's do.
 *
 * <pre>{@code
 * Decision<Void> origin = rules.admitOrigin(VertxRequestView.of(rc.request()), "chat");
 * if (!origin.accepted()) { ... answer origin.refusal() ... }
 * }</pre>
 *
 * <p>A view reads the request when asked, on the thread asking: use it on the request's event loop.
 */
public final class VertxRequestView implements RequestView {

    private final HttpServerRequest request;

    private VertxRequestView(HttpServerRequest request) {
        this.request = request;
    }

    /**
     * @param request the request
     * @return the request as the HTTP rules read it
     */
    public static VertxRequestView of(HttpServerRequest request) {
        return new VertxRequestView(java.util.Objects.requireNonNull(request, "request"));
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
        SocketAddress address = request.remoteAddress();
        if (address == null) {
            return "";
        }
        return address.hostAddress() != null ? address.hostAddress() : String.valueOf(address.host());
    }

    @Override
    public String scheme() {
        String scheme = request.scheme();
        return scheme == null ? (request.isSSL() ? "https" : "http") : scheme;
    }

    @Override
    public String host() {
        HostAndPort authority = request.authority();
        if (authority != null) {
            return authority.host();
        }
        return request.localAddress() == null ? "localhost" : request.localAddress().hostAddress();
    }

    @Override
    public int port() {
        HostAndPort authority = request.authority();
        if (authority != null && authority.port() > 0) {
            return authority.port();
        }
        if (authority != null) {
            return "https".equals(scheme()) ? 443 : 80;
        }
        return request.localAddress() == null ? 80 : request.localAddress().port();
    }
}

package dev.sse.servlet;

import dev.sse.core.http.RequestView;
import jakarta.servlet.http.HttpServletRequest;

/** A servlet request as the runtime-neutral HTTP rules read it. Used on the thread serving the request. */
final class ServletRequestView implements RequestView {

    private final HttpServletRequest req;

    ServletRequestView(HttpServletRequest req) {
        this.req = req;
    }

    @Override
    public String method() {
        return req.getMethod();
    }

    @Override
    public String rawQuery() {
        return req.getQueryString();
    }

    @Override
    public String header(String name) {
        return req.getHeader(name);
    }

    @Override
    public String remoteAddress() {
        return req.getRemoteAddr();
    }

    @Override
    public String scheme() {
        return req.getScheme();
    }

    @Override
    public String host() {
        return req.getServerName();
    }

    @Override
    public int port() {
        return req.getServerPort();
    }
}

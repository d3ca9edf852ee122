package dev.sse.examples;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpFilter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * Gives a JSON body to an error status that a servlet set without writing one, as {@code SseServlet} does for
 * {@code 405} and {@code 403}: {@code {"error":"PUT is not supported here"}}. Responses that already have a content
 * type, are committed or went asynchronous (a stream) pass untouched.
 *
 * <p>Thread-safe: it keeps no state.
 */
public final class JsonErrorFilter extends HttpFilter {

    private static final long serialVersionUID = 1L;

    /** Called by the container. */
    public JsonErrorFilter() {
    }

    @Override
    protected void doFilter(HttpServletRequest req, HttpServletResponse resp, FilterChain chain)
            throws IOException, ServletException {
        chain.doFilter(req, resp);
        int status = resp.getStatus();
        if (status < 400 || resp.isCommitted() || resp.getContentType() != null || req.isAsyncStarted()
                || "HEAD".equals(req.getMethod())) {
            return;
        }
        String message = switch (status) {
            case 403 -> "origin " + req.getHeader("Origin") + " may not listen here";
            case 405 -> req.getMethod() + " is not supported here; allowed: " + resp.getHeader("Allow");
            default -> "request refused with status " + status;
        };
        byte[] body = Json.error(message, null).getBytes(StandardCharsets.UTF_8);
        resp.resetBuffer();
        resp.setContentType("application/json;charset=utf-8");
        resp.setHeader("Cache-Control", "no-store");
        resp.setContentLength(body.length);
        resp.getOutputStream().write(body);
    }
}

package dev.sse.examples.boot;

import dev.sse.examples.shared.Json;
import dev.sse.examples.shared.JsonResponses;
import dev.sse.servlet.RequestBodies;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * In front of {@link ChatController}: {@code POST} passes; {@code OPTIONS} is the {@code POST} preflight with the
 * publishing's origin rules ({@link RequestBodies#preflight}), answered here because Spring MVC would otherwise refuse a
 * preflight for a handler without its own CORS configuration; other methods get {@code 405} with
 * {@code Allow: POST, OPTIONS} and a JSON body, as in sse-examples.
 */
final class ChatFilter extends OncePerRequestFilter {

    static final String ALLOW = "POST, OPTIONS";
    private final RequestBodies bodies;

    ChatFilter(RequestBodies bodies) {
        this.bodies = bodies;
    }

    @Override
    protected void doFilterInternal(HttpServletRequest req, HttpServletResponse resp, FilterChain chain)
            throws ServletException, IOException {
        switch (req.getMethod()) {
            case "POST" -> chain.doFilter(req, resp);
            case "OPTIONS" -> bodies.preflight(req, resp, ALLOW, "chat");
            default -> {
                resp.setHeader("Allow", ALLOW);
                JsonResponses.send(resp, 405, Json.error(req.getMethod() + " is not supported here; POST a prompt",
                        null));
            }
        }
    }
}

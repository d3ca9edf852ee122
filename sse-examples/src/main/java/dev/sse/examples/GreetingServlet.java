package dev.sse.examples;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/** {@code GET /api/v1/}: a plain-text greeting that lists the demo's endpoints. */
public final class GreetingServlet extends HttpServlet {

    private static final long serialVersionUID = 1L;
    private static final String GREETING = """
            Hello from the dev.sse demo!

            GET  /api/v1/sse               the clock: an "update" event every second
            GET  /api/v1/notifications     the notification stream (send Last-Event-ID to resume)
            POST /api/v1/notifications     publish the request body; ?event=NAME for a named event
            POST /api/v1/chat              stream the body's words back as tokens; ?tokens=N&interval=MS
            GET  /api/v1/stats             open connections and counters, as JSON

            Try: curl -N localhost:8080/api/v1/sse
            """;

    /** Called by the container. */
    public GreetingServlet() {
    }

    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        resp.setContentType("text/plain;charset=utf-8");
        resp.getOutputStream().write(GREETING.getBytes(StandardCharsets.UTF_8));
    }
}

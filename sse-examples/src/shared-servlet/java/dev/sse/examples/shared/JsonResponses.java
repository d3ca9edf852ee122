package dev.sse.examples.shared;

import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * The servlet demos' way of answering with JSON (sse-examples and sse-examples-spring-boot compile
 * {@code sse-examples/src/shared-servlet/java}; the other runtimes' demos write through their own APIs). Stateless.
 *
 * <pre>{@code
 * JsonResponses.send(resp, 405, Json.error("GET is not supported here", null));
 * }</pre>
 */
public final class JsonResponses {

    private JsonResponses() {
    }

    /**
     * Writes a JSON answer that no cache keeps: the demos' own endpoints (the chat, the stats); publishing's answers
     * are the library's.
     *
     * @param resp the response, not yet committed
     * @param status the status
     * @param json the JSON text
     * @throws IOException if writing failed
     */
    public static void send(HttpServletResponse resp, int status, String json) throws IOException {
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        resp.setStatus(status);
        resp.setContentType("application/json;charset=utf-8");
        resp.setHeader("Cache-Control", "no-store");
        resp.setContentLength(bytes.length);
        resp.getOutputStream().write(bytes);
    }

}

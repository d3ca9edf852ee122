package dev.sse.servlet;

import dev.sse.core.http.Header;
import dev.sse.core.http.HttpAnswer;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes the runtime-neutral rules' {@link HttpAnswer}s to a servlet response, and the servlet module's few error
 * answers of its own ({@code {"error":"...","field":"..."}}, as {@link HttpAnswer#error}). Stateless.
 */
final class ErrorResponse {

    private static final Logger LOG = LoggerFactory.getLogger(ErrorResponse.class);

    private ErrorResponse() {
    }

    /** An error answer; nothing is written once the response is committed. */
    static void send(HttpServletResponse resp, int status, String field, String message) {
        write(resp, HttpAnswer.error(status, field, message));
    }

    /** Writes a whole answer; once the response is committed only the status is tried, and a failure logged. */
    static void write(HttpServletResponse resp, HttpAnswer answer) {
        resp.setStatus(answer.status());
        if (resp.isCommitted()) {
            return;
        }
        try {
            writeOrThrow(resp, answer);
        } catch (IOException | IllegalStateException e) {
            LOG.debug("answer {} not sent: {}", answer.status(), e.toString());
        }
    }

    /** Writes a whole answer, failing as the container does. */
    static void writeOrThrow(HttpServletResponse resp, HttpAnswer answer) throws IOException {
        resp.setStatus(answer.status());
        addHeaders(resp, answer.headers());
        if (answer.bodyLength() > 0) {
            resp.setContentLength(answer.bodyLength());
            resp.getOutputStream().write(answer.body());
        }
    }

    /** Adds headers in order; {@code Content-Type} goes through the container so that it knows the charset. */
    static void addHeaders(HttpServletResponse resp, List<Header> headers) {
        for (Header h : headers) {
            if (h.name().equalsIgnoreCase("Content-Type")) {
                resp.setContentType(h.value());
            } else {
                resp.addHeader(h.name(), h.value());
            }
        }
    }
}

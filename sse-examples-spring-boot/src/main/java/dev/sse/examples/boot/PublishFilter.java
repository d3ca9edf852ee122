package dev.sse.examples.boot;

import dev.sse.core.Hub;
import dev.sse.core.HubClosedException;
import dev.sse.core.SseEvent;
import dev.sse.examples.shared.Json;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;
import java.net.URLDecoder;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * {@code POST /api/v1/notifications[?event=NAME]}: broadcasts the body, read as UTF-8, to the notification stream and
 * answers {@code 202 {"id":"7"}}; {@code 400} with the field at fault when the event name or the body is not
 * acceptable (Tomcat itself answers a malformed chunked body with {@code 400}); {@code 503} with
 * {@code Retry-After: 5} and the reason when the broadcast fails, whatever it threw, logged as one WARN line.
 * {@code GET}, {@code HEAD} and {@code OPTIONS} pass to the stream; other methods get {@code 405}.
 */
final class PublishFilter extends OncePerRequestFilter {

    private static final Logger LOG = LoggerFactory.getLogger(PublishFilter.class);

    private final Hub hub;
    private final int maxBodyBytes;

    PublishFilter(Hub hub, int maxBodyBytes) {
        this.hub = hub;
        this.maxBodyBytes = maxBodyBytes;
    }

    @Override
    protected void doFilterInternal(HttpServletRequest req, HttpServletResponse resp, FilterChain chain)
            throws ServletException, IOException {
        switch (req.getMethod()) {
            case "GET", "HEAD", "OPTIONS" -> chain.doFilter(req, resp);
            case "POST" -> publish(req, resp);
            default -> {
                resp.setHeader("Allow", "GET, HEAD, POST");
                json(resp, 405, Json.error(req.getMethod() + " is not supported here; use GET to listen or POST to "
                        + "publish", null));
            }
        }
    }

    private void publish(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        // Not getParameter: for a form-encoded POST that would consume the body.
        String event = queryParameter(req.getQueryString(), "event");
        if (event != null) {
            for (int i = 0; i < event.length(); i++) {
                char c = event.charAt(i);
                if (c == '\r' || c == '\n' || c == '\0') {
                    String found = c == '\r' ? "CR" : c == '\n' ? "LF" : "NUL";
                    json(resp, 400, Json.error("event must not contain CR, LF or NUL (found " + found + " at index " + i
                            + ")", "event"));
                    return;
                }
            }
        }
        byte[] body = readAtMost(req.getInputStream(), maxBodyBytes + 1);
        if (body.length > maxBodyBytes) {
            json(resp, 400, Json.error("body must be at most " + maxBodyBytes + " bytes", "body"));
            return;
        }
        String data = utf8(body, resp);
        if (data == null) {
            return;
        }
        String id;
        try {
            id = hub.broadcast(SseEvent.builder().event(event == null || event.isEmpty() ? null : event).data(data)
                    .build());
        } catch (HubClosedException stopping) {
            LOG.debug("notification not published: the hub is closed");
            unavailable(resp, "the server is shutting down");
            return;
        } catch (RuntimeException e) {
            // Whatever the hub or its backplane threw, the publisher must hear of it: never an empty 200.
            LOG.warn("notification not published, answered 503: {}", e.toString());
            unavailable(resp, "the notification was not published: the broadcast failed; retry later");
            return;
        }
        json(resp, 202, "{\"id\":" + Json.quote(id) + "}");
    }

    private static void unavailable(HttpServletResponse resp, String why) throws IOException {
        resp.setHeader("Retry-After", "5");
        json(resp, 503, Json.error(why, null));
    }

    /** @return the text, or {@code null} after answering 400 */
    private static String utf8(byte[] body, HttpServletResponse resp) throws IOException {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(body);
        CharBuffer out = CharBuffer.allocate(body.length);
        CoderResult result = decoder.decode(in, out, true);
        if (!result.isError()) {
            result = decoder.flush(out);
        }
        if (result.isError()) {
            json(resp, 400, Json.error("body is not valid UTF-8 (bad byte sequence at byte offset " + in.position() + ")",
                    "body"));
            return null;
        }
        return out.flip().toString();
    }

    private static byte[] readAtMost(InputStream in, int limit) throws IOException {
        return in.readNBytes(limit);
    }

    private static String queryParameter(String query, String name) {
        if (query == null) {
            return null;
        }
        for (String pair : query.split("&")) {
            int eq = pair.indexOf('=');
            String key = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            if (key.equals(name)) {
                return eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            }
        }
        return null;
    }

    private static void json(HttpServletResponse resp, int status, String body) throws IOException {
        resp.setStatus(status);
        resp.setContentType("application/json;charset=utf-8");
        resp.getOutputStream().write(body.getBytes(StandardCharsets.UTF_8));
    }
}

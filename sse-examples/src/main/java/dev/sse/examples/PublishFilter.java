package dev.sse.examples;

import dev.sse.core.Hub;
import dev.sse.core.SseEvent;
import jakarta.servlet.FilterChain;
import jakarta.servlet.FilterConfig;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpFilter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Lets clients publish to a stream with {@code POST}, in front of the {@code SseServlet} that serves the same URL
 * with {@code GET}:
 *
 * <pre>
 * POST /api/v1/notifications?event=alert     body: the event's data, UTF-8 text
 * 202 {"id":"7"}                             the id the hub gave the event
 * 400 {"error":"...","field":"event"}        nothing was broadcast
 * </pre>
 *
 * <p>The body is the data verbatim (any content type is read as UTF-8 text; line ends travel as the SSE format
 * normalises them). Rejected with 400: an {@code event} name containing CR, LF or NUL, a body that is not valid
 * UTF-8, a body over {@code max-body-bytes} (init-param, default 1 MiB = 1048576 bytes, which is accepted).
 * {@code GET} and {@code HEAD} pass to the stream; other methods get 405.
 *
 * <p>Init-params: {@code hub}, the servlet context attribute naming the {@link Hub} to publish to;
 * {@code max-body-bytes}. Thread-safe: it keeps no per-request state.
 */
public final class PublishFilter extends HttpFilter {

    private static final long serialVersionUID = 1L;
    /** The default and smallest useful body limit: 1 MiB. */
    public static final int DEFAULT_MAX_BODY_BYTES = 1 << 20;

    private transient String hubAttribute;
    private transient int maxBodyBytes;

    /** Called by the container. */
    public PublishFilter() {
    }

    @Override
    public void init(FilterConfig config) throws ServletException {
        super.init(config);
        hubAttribute = config.getInitParameter("hub");
        if (hubAttribute == null || hubAttribute.isEmpty()) {
            throw new ServletException("PublishFilter needs the init-param hub");
        }
        String max = config.getInitParameter("max-body-bytes");
        try {
            maxBodyBytes = max == null ? DEFAULT_MAX_BODY_BYTES : Integer.parseInt(max.trim());
        } catch (NumberFormatException e) {
            throw new ServletException("max-body-bytes must be a number of bytes (was \"" + max + "\")", e);
        }
        if (maxBodyBytes < 1 || maxBodyBytes == Integer.MAX_VALUE) {
            throw new ServletException("max-body-bytes must be between 1 and " + (Integer.MAX_VALUE - 1));
        }
    }

    @Override
    protected void doFilter(HttpServletRequest req, HttpServletResponse resp, FilterChain chain)
            throws IOException, ServletException {
        switch (req.getMethod()) {
            case "GET", "HEAD" -> chain.doFilter(req, resp);
            case "POST" -> publish(req, resp);
            default -> {
                resp.setHeader("Allow", "GET, HEAD, POST");
                json(resp, 405, Json.error(req.getMethod() + " is not supported here; use GET to listen or POST to "
                        + "publish", null));
            }
        }
    }

    private void publish(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        String event;
        String data;
        try {
            event = eventName(req.getQueryString());
            data = body(req.getInputStream());
        } catch (BadRequest e) {
            json(resp, 400, Json.error(e.getMessage(), e.field));
            return;
        }
        Object hub = getServletContext().getAttribute(hubAttribute);
        if (!(hub instanceof Hub)) {
            json(resp, 503, Json.error("no hub under the servlet context attribute \"" + hubAttribute + "\"", null));
            return;
        }
        String id;
        try {
            id = ((Hub) hub).broadcast(SseEvent.builder().event(event).data(data).build());
        } catch (IllegalStateException e) {
            json(resp, 503, Json.error("the server is shutting down", null));
            return;
        }
        json(resp, 202, "{\"id\":" + Json.quote(id) + "}");
    }

    /**
     * Reads the {@code event} query parameter ourselves: {@code getParameter} would consume a form-encoded body
     * (curl's default for {@code -d}) and silently replaces malformed UTF-8.
     */
    private static String eventName(String query) throws BadRequest {
        if (query == null) {
            return null;
        }
        String event = null;
        for (String pair : query.split("&")) {
            int eq = pair.indexOf('=');
            String name = eq < 0 ? pair : pair.substring(0, eq);
            if (!name.equals("event")) {
                continue;
            }
            if (event != null) {
                throw new BadRequest("event must be given at most once", "event");
            }
            event = percentDecode(eq < 0 ? "" : pair.substring(eq + 1));
        }
        if (event == null || event.isEmpty()) {
            // An empty name dispatches as "message" in browsers; sending no event line says so plainly.
            return null;
        }
        for (int i = 0; i < event.length(); i++) {
            char c = event.charAt(i);
            if (c == '\r' || c == '\n' || c == '\0') {
                String what = c == '\r' ? "CR" : c == '\n' ? "LF" : "NUL";
                throw new BadRequest("event must not contain CR, LF or NUL (found " + what + " at index " + i + ")",
                        "event");
            }
        }
        return event;
    }

    private static String percentDecode(String s) throws BadRequest {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '+') {
                bytes.write(' ');
            } else if (c == '%') {
                int hi = i + 2 < s.length() ? Character.digit(s.charAt(i + 1), 16) : -1;
                int lo = hi >= 0 ? Character.digit(s.charAt(i + 2), 16) : -1;
                if (lo < 0) {
                    throw new BadRequest("event has a malformed percent-escape at index " + i, "event");
                }
                bytes.write(hi << 4 | lo);
                i += 2;
            } else {
                bytes.write(c);
            }
        }
        return strictUtf8(bytes.toByteArray(), "event");
    }

    private String body(InputStream in) throws IOException, BadRequest {
        // One byte past the limit is enough to know it is exceeded without buffering an arbitrary upload.
        byte[] bytes = in.readNBytes(maxBodyBytes + 1);
        if (bytes.length > maxBodyBytes) {
            throw new BadRequest("body must be at most " + maxBodyBytes + " bytes", "body");
        }
        return strictUtf8(bytes, "body");
    }

    private static String strictUtf8(byte[] bytes, String field) throws BadRequest {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate(bytes.length);
        CoderResult result = decoder.decode(in, out, true);
        if (!result.isError()) {
            result = decoder.flush(out);
        }
        if (result.isError()) {
            throw new BadRequest(field + " is not valid UTF-8 (bad byte sequence at byte offset " + in.position()
                    + ")", field);
        }
        return out.flip().toString();
    }

    private static void json(HttpServletResponse resp, int status, String body) throws IOException {
        resp.setStatus(status);
        resp.setContentType("application/json;charset=utf-8");
        resp.setHeader("Cache-Control", "no-store");
        resp.getOutputStream().write(body.getBytes(StandardCharsets.UTF_8));
    }

    private static final class BadRequest extends Exception {
        private static final long serialVersionUID = 1L;
        private final String field;

        BadRequest(String message, String field) {
            super(message, null, false, false);
            this.field = field;
        }
    }
}

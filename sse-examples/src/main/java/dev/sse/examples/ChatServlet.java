package dev.sse.examples;

import dev.sse.core.SseStream;
import dev.sse.examples.shared.ChatExchange;
import dev.sse.examples.shared.ChatGenerator;
import dev.sse.examples.shared.ChatRequest;
import dev.sse.examples.shared.Json;
import dev.sse.examples.shared.JsonResponses;
import dev.sse.servlet.RequestBodies;
import dev.sse.servlet.SseStreams;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code POST /api/v1/chat?tokens=N&interval=MS}: streams the prompt's words back as tokens, as an LLM endpoint
 * streams its answer, on the response's own {@link SseStream} ({@link SseStreams#start}):
 *
 * <pre>
 * POST /api/v1/chat?tokens=5&amp;interval=0     body: a b c
 * 200 text/event-stream
 * id: 1 / event: token / data: a   ...   id: 5 / event: token / data: b   then   event: done / data: [DONE]
 * </pre>
 *
 * <p>The body is read by the library's {@link RequestBodies}, as published bodies are, with its own init-params
 * ({@code maxBodyBytes}, default and most 65536; {@code bodyDeadline}, {@code bodyGrace} in milliseconds,
 * {@code minBodyRate}, {@code maxPendingBodyBytes}): {@code 408}, {@code 413}, {@code 400} naming {@code body}.
 * Before the body is read, the origin is checked as for publishing ({@code 403}), then the query
 * ({@link ChatRequest}: {@code 400} naming {@code tokens} or {@code interval}). Once the prompt has arrived the request is dispatched back to this servlet,
 * which starts the stream in that dispatch, so the stream's asynchronous cycle is its own (no timeout) and not the
 * body's. The tokens come from the demo's {@link ChatGenerator}. {@code OPTIONS} is the {@code POST} preflight, as
 * for publishing; other methods get {@code 405} with {@code Allow: POST, OPTIONS}.
 *
 * <p>Threads: the container calls {@code service} concurrently; see {@link RequestBodies} and {@link ChatGenerator}.
 */
public final class ChatServlet extends HttpServlet {

    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(ChatServlet.class);
    static final String ALLOW = "POST, OPTIONS";
    /** The request attribute under which the read request travels to the dispatch that streams it. */

    private transient RequestBodies bodies;

    /** Called by the container. */
    public ChatServlet() {
    }

    @Override
    public void init() throws ServletException {
        bodies = RequestBodies.builder()
                .maxBodyBytes(number("maxBodyBytes", ChatRequest.MAX_PROMPT_BYTES, ChatRequest.MAX_PROMPT_BYTES))
                .deadline(Duration.ofMillis(number("bodyDeadline", 30_000, 86_400_000)))
                .grace(Duration.ofMillis(number("bodyGrace", 5_000, 86_400_000)))
                .minBytesPerSecond(number("minBodyRate", 1024, Integer.MAX_VALUE))
                .maxPendingBytes(number("maxPendingBodyBytes", 64L << 20, Long.MAX_VALUE / 2))
                .allowedOrigins(DemoContextListener.allowedOrigins(getServletContext()), false)
                .shedMessage("too many chats are arriving at once; retry later")
                .threadName("demo-chat-deadlines")
                .build();
    }

    private long number(String name, long dflt, long most) throws ServletException {
        String value = getInitParameter(name);
        if (value == null) {
            return dflt;
        }
        try {
            long n = Long.parseLong(value.trim());
            if (n >= 1 && n <= most) {
                return n;
            }
        } catch (NumberFormatException e) {
            // Reported below, with the same message as an out-of-range number.
        }
        throw new ServletException(name + " must be a number from 1 to " + most + " (was \"" + value + "\")");
    }

    @Override
    public void destroy() {
        if (bodies != null) {
            bodies.close();
        }
    }

    @Override
    protected void service(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        switch (req.getMethod()) {
            case "POST" -> {
                if (req.getDispatcherType() == DispatcherType.ASYNC) {
                    stream(req, resp);
                } else {
                    chat(req, resp);
                }
            }
            case "OPTIONS" -> bodies.preflight(req, resp, ALLOW, "chat");
            default -> {
                resp.setHeader("Allow", ALLOW);
                JsonResponses.send(resp, 405, Json.error(req.getMethod() + " is not supported here; POST a prompt",
                        null));
            }
        }
    }

    private void chat(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        if (!ChatExchange.readPrompt(bodies, req, resp)) {
            LOG.debug("chat refused for origin {}", req.getHeader("Origin"));
            return;
        }
    }

    /** In the dispatch after the body was read: the stream, on the request's own new asynchronous cycle. */
    private void stream(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        ChatRequest request = ChatExchange.checkedRequest(req, resp);
        if (request == null) {
            return;
        }
        DemoStreams demo = DemoStreams.from(getServletContext());
        // The demo's HTTP contract names exactly "no-cache" for every stream.
        resp.setHeader("Cache-Control", "no-cache");
        SseStream stream;
        try {
            stream = SseStreams.start(req, resp);
        } catch (IllegalStateException refused) {
            // Stopping, or at a stream limit: SseStreams has answered 503 or 429 already.
            LOG.debug("chat stream refused: {}", refused.getMessage());
            return;
        }
        demo.chat().start(stream, request);
    }
}

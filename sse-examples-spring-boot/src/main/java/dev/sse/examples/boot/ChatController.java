package dev.sse.examples.boot;

import dev.sse.core.SseStream;
import dev.sse.examples.shared.ChatExchange;
import dev.sse.examples.shared.ChatGenerator;
import dev.sse.examples.shared.ChatRequest;
import dev.sse.servlet.RequestBodies;
import dev.sse.servlet.SseStreams;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Controller;
import org.springframework.web.bind.annotation.PostMapping;

/**
 * {@code POST /api/v1/chat?tokens=N&interval=MS}: the prompt's words streamed back as tokens, as in sse-examples
 * (same contract, same code: the shared {@link ChatRequest} and {@link ChatGenerator}, the library's
 * {@link RequestBodies}). A plain
 * Spring MVC controller that calls {@link SseStreams#start} with the request and response.
 *
 * <p>The prompt is read without blocking by {@link RequestBodies} (408, 413, 400 naming {@code body}); once read, the
 * request is dispatched back here, and this second, asynchronous dispatch starts the stream on an asynchronous cycle
 * of its own. {@code OPTIONS} and other methods are {@link ChatFilter}'s, in front of this controller.
 */
@Controller
class ChatController {

    private static final Logger LOG = LoggerFactory.getLogger(ChatController.class);

    private final ChatGenerator chat;
    private final RequestBodies bodies;

    ChatController(ChatGenerator chat, RequestBodies chatBodies) {
        this.chat = chat;
        this.bodies = chatBodies;
    }

    @PostMapping("/api/v1/chat")
    void chat(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        if (req.getDispatcherType() == DispatcherType.ASYNC) {
            stream(req, resp);
            return;
        }
        ChatExchange.readPrompt(bodies, req, resp);
    }

    private void stream(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        ChatRequest request = ChatExchange.checkedRequest(req, resp);
        if (request == null) {
            return;
        }
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
        chat.start(stream, request);
    }
}
